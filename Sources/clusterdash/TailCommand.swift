import ArgumentParser
import ClusterProtocol
import ClusterState
import Dashboard
import DashboardRuntime
import EventSources
import Foundation
import Logging
import PatroniSource
import ProtocolV1Source
import RedisSource
import RenderCore

/// Prints the failover log of a state as it grows (a plain-text view).
struct LogPrinter {
    private var printed = 0

    mutating func printNew(_ state: ClusterState) {
        let fresh = state.logAppended - printed
        guard fresh > 0 else { return }
        for entry in state.log.suffix(min(fresh, state.log.count)) {
            print("\(entry.at.clockTime) \(entry.source.fitted(8)) \(entry.text)")
        }
        printed = state.logAppended
        fflush(nil)
    }
}

/// Where to connect and how: shared by the commands that watch a cluster.
struct ConnectionOptions: ParsableArguments {
    @Option(
        name: .customLong("endpoint"),
        help: """
            A protocol-v1 WebSocket URL (ws:// or wss://), or a NATS server carrying the stream \
            (nats://HOST:PORT[/CLUSTER], nats+ws://); repeat for several.
            """
    )
    var endpoints: [String] = []

    @Option(help: "Bearer token (default: the environment variable CLUSTERDASH_TOKEN). Never printed or logged.")
    var token: String?

    @Option(name: .customLong("ca-file"), help: "PEM file of a private CA for wss:// endpoints.")
    var caFile: String?

    @Option(
        name: .customLong("tls-server-name"),
        help: "The name the wss:// server's certificate must carry, when the URL gives another (a bare IP address).")
    var tlsServerName: String?

    @Option(help: "Record every received envelope to this JSON-lines file (replay it with `clusterdash replay`).")
    var record: String?

    @OptionGroup var engine: PatroniOptions

    @OptionGroup var redis: RedisOptions

    /// The Patroni members and etcd given by flags, checked; nil without --patroni.
    func patroniURLs() throws -> (patroni: [String], etcd: [String])? {
        guard let urls = try engine.urls() else {
            if try redis.seeds() != nil, !endpoints.isEmpty { throw ValidationError("give --endpoint or --redis-cluster, not both") }
            if try redis.sentinelConfig(readOnly: false) != nil, !endpoints.isEmpty {
                throw ValidationError("give --endpoint or --sentinel, not both")
            }
            return nil
        }
        if !endpoints.isEmpty { throw ValidationError("give --endpoint or --patroni, not both") }
        if try redis.seeds() != nil { throw ValidationError("give --patroni or --redis-cluster, not both") }
        return urls
    }

    var patroniAuthEnv: String? { engine.patroniAuthEnv }

    func endpointConfigs() throws -> [EndpointConfig] {
        let token = token ?? ProcessInfo.processInfo.environment["CLUSTERDASH_TOKEN"]
        return try endpoints.map { url in
            guard let c = URLComponents(string: url), let scheme = c.scheme, SourceFactory.schemes.contains(scheme), c.host != nil else {
                throw ValidationError("--endpoint must be a ws://, wss://, nats:// or nats+ws:// URL, got \(url)")
            }
            return EndpointConfig(url: url, token: token, caFile: caFile, tlsServerName: tlsServerName)
        }
    }
}

/// The flags that name a Patroni cluster: the dashboard's and the gateway's.
struct PatroniOptions: ParsableArguments {
    @Option(
        name: .customLong("patroni"), help: "A Patroni member's REST API (http://host:8008); repeat for several. The others are found from /cluster.")
    var patroni: [String] = []

    @Option(name: .customLong("etcd"), help: "etcd's HTTP gateway (http://host:2379) holding Patroni's keys: changes are pushed, not only polled.")
    var etcd: [String] = []

    @Option(
        name: .customLong("patroni-auth-env"), help: "Environment variable holding user:password for Patroni's REST API. Never printed or logged.")
    var patroniAuthEnv: String?

    /// The members and etcd, checked; nil without --patroni.
    func urls() throws -> (patroni: [String], etcd: [String])? {
        guard !patroni.isEmpty else {
            if !etcd.isEmpty { throw ValidationError("--etcd goes with --patroni") }
            return nil
        }
        for (flag, urls) in [("--patroni", patroni), ("--etcd", etcd)] {
            for url in urls {
                guard let c = URLComponents(string: url), c.scheme == "http" || c.scheme == "https", c.host != nil else {
                    throw ValidationError("\(flag) must be an http:// or https:// URL, got \(url.contains("@") ? "a URL with credentials" : url)")
                }
            }
        }
        return (patroni, etcd)
    }

    /// Patroni's REST credentials from the environment variable `variable`
    /// (user:password); the value is never printed or logged.
    static func auth(from variable: String) throws -> PatroniAuth {
        guard let value = ProcessInfo.processInfo.environment[variable], !value.isEmpty else {
            throw ValidationFailure("Patroni credentials: the environment variable \(variable) is not set")
        }
        guard let auth = PatroniAuth(credentials: value) else {
            throw ValidationFailure("Patroni credentials: \(variable) must hold user:password")
        }
        return auth
    }
}

/// The flags that name a Redis Cluster: the dashboard's and the gateway's.
struct RedisOptions: ParsableArguments {
    @Option(
        name: .customLong("redis-cluster"),
        help: "A Redis Cluster node, HOST:PORT; repeat for several. The other nodes are found from CLUSTER NODES.")
    var nodes: [String] = []

    @Option(
        name: .customLong("redis-auth-env"),
        help: "Environment variable holding Redis's password (or user:password for an ACL user). Never printed or logged.")
    var authEnv: String?

    @Option(name: .customLong("sentinel"), help: "A Redis Sentinel, HOST:PORT; repeat for each (every one is asked). Needs --master.")
    var sentinels: [String] = []

    @Option(name: .customLong("master"), help: "The master's name the sentinels watch (sentinel monitor NAME …).")
    var master: String?

    /// The sentinels and the master's name, checked; nil without --sentinel.
    func sentinelConfig(readOnly: Bool) throws -> RedisSentinelConfig? {
        guard !sentinels.isEmpty else {
            if master != nil { throw ValidationError("--master goes with --sentinel") }
            return nil
        }
        guard let master, !master.isEmpty else { throw ValidationError("--sentinel needs --master NAME (the name the sentinels monitor)") }
        if !nodes.isEmpty { throw ValidationError("give --redis-cluster or --sentinel, not both") }
        for a in sentinels where RedisClusterConfig.hostPort(a) == nil {
            throw ValidationError("--sentinel takes HOST:PORT, got \(a.prefix(60))")
        }
        var c = RedisSentinelConfig(sentinels: sentinels, master: master, readOnly: readOnly)
        if let authEnv { c.auth = try Self.auth(from: authEnv) }
        return c
    }

    @Option(name: .customLong("migrate-batch"), help: "Keys per MIGRATE when moving a slot (default 100).")
    var migrateBatch: Int = 100

    @Option(name: .customLong("migrate-pause"), help: "Pause between MIGRATE batches, in milliseconds, to spare a busy cluster (default 0).")
    var migratePauseMillis: Int = 0

    /// The connector's settings from these flags (and the credentials' variable).
    func config(seeds: [String], readOnly: Bool) throws -> RedisClusterConfig {
        var c = RedisClusterConfig(seeds: seeds, readOnly: readOnly)
        c.migrateBatch = migrateBatch
        c.migratePause = .milliseconds(migratePauseMillis)
        if let authEnv { c.auth = try Self.auth(from: authEnv) }
        return c
    }

    /// The nodes given, checked; nil without --redis-cluster.
    func seeds() throws -> [String]? {
        guard !nodes.isEmpty else {
            if authEnv != nil && sentinels.isEmpty { throw ValidationError("--redis-auth-env goes with --redis-cluster or --sentinel") }
            return nil
        }
        guard (1...10_000).contains(migrateBatch) else { throw ValidationError("--migrate-batch takes 1-10000 keys") }
        guard (0...60_000).contains(migratePauseMillis) else { throw ValidationError("--migrate-pause takes 0-60000 ms") }
        for a in nodes where RedisClusterConfig.hostPort(a) == nil {
            throw ValidationError("--redis-cluster takes HOST:PORT, got \(a.prefix(60))")
        }
        return nodes
    }

    /// Redis credentials from the environment variable `variable`; the value
    /// is never printed or logged.
    static func auth(from variable: String) throws -> RedisAuth {
        guard let value = ProcessInfo.processInfo.environment[variable], !value.isEmpty else {
            throw ValidationFailure("Redis credentials: the environment variable \(variable) is not set")
        }
        guard let auth = RedisAuth(credentials: value) else {
            throw ValidationFailure("Redis credentials: \(variable) must hold password or user:password")
        }
        return auth
    }
}

/// `clusterdash tail`: the live failover log as plain text.
struct TailCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tail",
        abstract: "Print a cluster's failover log as it happens (plain text), from live endpoints.",
        discussion: "Reconnects and resumes by itself. Endpoint status changes are printed as they happen."
    )

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "Stop after this many seconds (default: run until interrupted).")
    var seconds: Double?

    func validate() throws {
        guard !connection.endpoints.isEmpty else { throw ValidationError("give at least one --endpoint") }
        _ = try connection.endpointConfigs()
    }

    func run() async throws {
        var logger = Logger(label: "clusterdash.tail")
        logger.logLevel = .error
        let made = try SourceFactory.make(try connection.endpointConfigs(), record: connection.record, readOnly: true, logger: logger)
        for w in made.warnings { FileHandle.standardError.write(Data("warning: \(w)\n".utf8)) }
        let source = made.source
        source.start()
        var feed = Feed()
        var printer = LogPrinter()
        var lastStatus: [String] = []
        let started = ContinuousClock.now
        while seconds.map({ ContinuousClock.now - started < .milliseconds(Int64($0 * 1000)) }) ?? true {
            try await Task.sleep(for: .milliseconds(200))
            for endpoint in feed.apply(source.queue.take(), endpoints: source.endpointNames.count, now: wallClockNow()) {
                source.requestSnapshot(endpoint: endpoint)
            }
            printer.printNew(feed.state)
            let status = zip(source.endpointNames, source.statuses).map { "\($0) \($1.label)" }
            if status != lastStatus {
                for (i, s) in status.enumerated() where lastStatus.count != status.count || lastStatus[i] != s {
                    print("-- endpoint \(s)")
                }
                lastStatus = status
            }
        }
        await source.stop()
    }
}

/// `clusterdash replay`: a recording played back in the dashboard (or as text).
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Play a recording (from --record or an incident bundle) in the dashboard, or as text with --text.",
        discussion: """
            In the dashboard: Space pauses, + and - change the speed, . plays one event, [ ] { } rewind, \
            q quits. Nothing can be sent to a recording. Malformed lines are counted and skipped.
            """
    )

    @Argument(help: "A JSON-lines recording (recorder lines or bare envelopes).")
    var file: String

    @Option(help: "Playback speed: 1 is real time, 10 ten times faster; with --text, 0 plays everything at once.")
    var speed: Double = 1

    @Flag(help: "Print the failover log as it plays, then the final state, instead of the dashboard.")
    var text = false

    @Option(help: "Theme name or path.")
    var theme: String?

    @Flag(name: .customLong("no-color"), help: "No colour.")
    var noColor = false

    @Flag(help: "Plain ASCII drawing.")
    var ascii = false

    @Option(name: .customLong("log-file"), help: "Log file (default: $XDG_STATE_HOME/clusterdash/clusterdash.log).")
    var logFile: String?

    func validate() throws {
        guard speed >= 0, speed <= 1_000 else { throw ValidationError("--speed must be 0...1000") }
        if !text && speed == 0 { throw ValidationError("--speed 0 only goes with --text") }
    }

    func run() async throws {
        let recording = try Recording.load(path: file)
        guard !text else {
            try await runText(recording)
            return
        }
        let logger = makeFileLogger(path: logFile ?? stateDirectory() + "/clusterdash.log")
        if let summary = recording.badLinesSummary {
            logger.warning("\(file): \(summary)")
            for bad in recording.badLines { logger.warning("\(file):\(bad.line): \(bad.reason)") }
        }
        let source = ReplaySource(recording: recording, name: (file as NSString).lastPathComponent, speed: speed)
        let library = ThemeLibrary()
        let loaded: Theme
        do {
            loaded = try library.load(theme ?? "default")
        } catch {
            // A theme asked for by name is an error; only the implicit default falls back.
            if theme != nil { throw ValidationFailure("\(error)") }
            loaded = .fallback
        }
        var setup = DashboardSetup()
        setup.mode = .replay
        setup.themes = library.names.isEmpty ? [loaded.name] : library.names
        setup.themeIndex = setup.themes.firstIndex(of: loaded.name) ?? 0
        setup.clusterLabel = "replay"
        // Shown at the start, long enough to be read (details in the log).
        setup.notice = recording.badLinesSummary.map { "\($0) (log: details)" }
        let model = AppModel(now: recording.start ?? wallClockNow(), setup: setup)
        let env = ProcessInfo.processInfo.environment
        let signals = QuitSignals()
        signals.install()
        var runtime = RuntimeSetup(
            model: model, source: source, commands: nil, theme: loaded, loadTheme: { try library.load($0) },
            stateDirectory: stateDirectory(), logger: logger)
        runtime.quitSignal = { signals.received }
        runtime.clock = RuntimeClock(monotonic: { ContinuousClock.now }, wall: { source.playhead })
        runtime.replay = source
        source.start()
        await runDashboard(runtime, colorMode: noColor || (env["NO_COLOR"].map { !$0.isEmpty } ?? false) ? .off : .auto, ascii: ascii)
        await source.stop()
    }

    func runText(_ recording: Recording) async throws {
        var cursor = ReplayCursor(recording: recording, speed: max(speed, 0.01))
        var state = ClusterState()
        var printer = LogPrinter()
        if speed == 0 {
            for e in cursor.playAll() { state.apply(e) }
            printer.printNew(state)
        } else {
            let clock = ContinuousClock()
            var last = clock.now
            while !cursor.finished {
                try await Task.sleep(for: .milliseconds(50))
                let now = clock.now
                let elapsed = now - last
                last = now
                let ms = elapsed.wholeMilliseconds
                for e in cursor.advance(wallMillis: ms) { state.apply(e) }
                printer.printNew(state)
            }
        }
        print("")
        if let summary = recording.badLinesSummary { print(summary) }
        var bad = recording.badLines.map { "\(file):\($0.line): \($0.reason)" }
        if recording.malformedLines > bad.count { bad.append("… and \(recording.malformedLines - bad.count) more") }
        print(Summary.render(state, decodeErrors: bad, malformed: recording.malformedLines, resyncs: [], showErrors: Recording.badLineLimit + 1))
    }
}
