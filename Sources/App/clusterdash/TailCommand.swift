import ArgumentParser
import ClusterProtocol
import ClusterState
import Dashboard
import DashboardRuntime
import EngineRegistry
import EventSources
import Foundation
import Logging
import RenderCore

/// Prints the failover log of a state as it grows (a plain-text view).
struct LogPrinter {
    private var printed = 0
    /// Before every line (`tail --fleet`: the cluster's name).
    var prefix = ""

    mutating func printNew(_ state: ClusterState) {
        let fresh = state.logAppended - printed
        guard fresh > 0 else { return }
        for entry in state.log.suffix(min(fresh, state.log.count)) {
            print("\(prefix)\(entry.at.clockTime) \(entry.source.fitted(8)) \(entry.text)")
        }
        printed = state.logAppended
        fflush(nil)
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

    @Flag(help: "Every cluster of the config file (or those named with --cluster), each line prefixed with its cluster's name.")
    var fleet = false

    @Option(name: .customLong("cluster"), help: "With --fleet: a cluster of the config file to follow (repeatable; default: all).")
    var clusters: [String] = []

    @Option(help: "With --fleet: the config file (default: $XDG_CONFIG_HOME/clusterdash/config.toml).")
    var config: String?

    func validate() throws {
        if fleet {
            guard try connection.settings() == nil else { throw ValidationError("--fleet follows the config file's clusters: give no endpoint") }
            return
        }
        if !clusters.isEmpty || config != nil { throw ValidationError("--cluster and --config go with --fleet") }
        guard try connection.settings() != nil else {
            throw ValidationError("give the cluster to follow: \(EngineFlagGroups.either(connection.groups.flatMap(\.usage)))")
        }
    }

    func run() async throws {
        var logger = Logger(label: "clusterdash.tail")
        logger.logLevel = .error
        if fleet { return try await runFleet(logger: logger) }
        guard var settings = try connection.settings() else { throw ValidationError("give the cluster to follow") }
        // Only watched: nothing is ever sent.
        settings.readOnly = true
        let made = try connect(settings, record: connection.record, logger: logger)
        for w in made.warnings { FileHandle.standardError.write(Data("warning: \(w)\n".utf8)) }
        let source = made.source
        source.start()
        var feed = Feed(state: ClusterState(vocabulary: EngineRegistry.vocabulary))
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

extension TailCommand {
    /// `tail --fleet`: each configured cluster through its own engine, its
    /// log lines and endpoint changes prefixed with its name.
    func runFleet(logger: Logger) async throws {
        let path = config ?? configDirectory() + "/config.toml"
        let file: ConfigFile
        do {
            file = try ConfigFile.load(path: path)
        } catch {
            throw ValidationError("\(error)")
        }
        if let unknown = clusters.first(where: { file.clusters[$0] == nil }) {
            throw ValidationError("no cluster \(unknown) in \(path) (have: \(file.clusters.keys.sorted().joined(separator: ", ")))")
        }
        let names = clusters.isEmpty ? file.clusters.keys.sorted() : clusters
        guard !names.isEmpty else { throw ValidationError("no cluster in \(path)") }
        let width = names.map(\.count).max() ?? 0
        var followed: [(name: String, source: any EventSource, feed: Feed, printer: LogPrinter, status: [String])] = []
        for name in names {
            guard var settings = file.clusters[name]?.settings else { continue }
            // Only watched: nothing is ever sent.
            settings.readOnly = true
            for problem in settings.preflight() {
                throw ValidationError(file.error(field: "clusters.\(name).\(problem.key)", problem.message).description)
            }
            let source: any EventSource
            do {
                let made = try connect(settings, record: nil, logger: logger)
                for w in made.warnings { FileHandle.standardError.write(Data("warning: \(name): \(w)\n".utf8)) }
                source = made.source
            } catch {
                source = UnconnectedSource(what: name, reason: "\(error)")
            }
            source.start()
            var printer = LogPrinter()
            printer.prefix = name.padding(toLength: width, withPad: " ", startingAt: 0) + " | "
            followed.append((name, source, Feed(state: ClusterState(vocabulary: EngineRegistry.vocabulary)), printer, []))
        }
        let started = ContinuousClock.now
        while seconds.map({ ContinuousClock.now - started < .milliseconds(Int64($0 * 1000)) }) ?? true {
            try await Task.sleep(for: .milliseconds(200))
            for i in followed.indices {
                let source = followed[i].source
                for endpoint in followed[i].feed.apply(source.queue.take(), endpoints: source.endpointNames.count, now: wallClockNow()) {
                    source.requestSnapshot(endpoint: endpoint)
                }
                followed[i].printer.printNew(followed[i].feed.state)
                // With why, where the status has one (the fleet's lines stand alone).
                let status = zip(source.endpointNames, source.statuses).map { name, s in
                    switch s {
                    case .failed(let why), .backingOff(_, _, let why): "\(name) \(s.label): \(why)"
                    default: "\(name) \(s.label)"
                    }
                }
                if status != followed[i].status {
                    for s in status where !followed[i].status.contains(s) { print("\(followed[i].printer.prefix)-- endpoint \(s)") }
                    followed[i].status = status
                }
            }
            fflush(nil)
        }
        for f in followed { await f.source.stop() }
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
        var state = ClusterState(vocabulary: EngineRegistry.vocabulary)
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
