import ArgumentParser
import ClusterProtocol
import ClusterSim
import ClusterState
import EventSources
import Foundation
import Logging
import ProtocolV1Server
import Simulator

/// `clusterdash sim`: the cluster simulator as a WebSocket server.
struct SimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sim",
        abstract: "Run a simulated cluster that speaks protocol v1 over WebSocket (docs/SIMULATOR.md).",
        discussion: "Prints the URL it serves and runs until SIGINT or SIGTERM."
    )

    @Option(help: "Address to listen on, HOST:PORT (port 0 picks a free one).")
    var listen = "127.0.0.1:7400"

    @Option(help: "Number of nodes.")
    var nodes = 5

    @Option(help: "Number of partitions.")
    var partitions = 256

    @Option(help: "Number of tenants.")
    var tenants = 8

    @Option(help: "Regions, comma-separated.")
    var regions = "us-east,eu-west,ap-south"

    @Option(help: "Assignment strategy: consistent_hash, round_robin or weighted.")
    var strategy = "consistent_hash"

    @Option(help: "Random seed: the same seed and inputs give the same event stream.")
    var seed: UInt64 = 1

    @Option(help: "Background lag samples per second (default: one per follower per second).")
    var rate: Double?

    @Flag(help: "Stream lag samples as fast as the socket takes them (benchmarks; commands are not answered).")
    var flood = false

    @Option(
        name: .customLong("flood-seconds"),
        help:
            "With --flood: stop each connection's samples after this many seconds and print where they ended (snapshot requests are still answered).")
    var floodSeconds: Double?

    @OptionGroup var flags: ServerFlags

    @OptionGroup var publish: PublishOptions

    @Flag(name: .customLong("demo-faults"), help: "Scripted trouble every 30 seconds or so.")
    var demoFaults = false

    @Option(help: "A TOML timeline of faults (docs/SIMULATOR.md).")
    var scenario: String?

    @Flag(name: .customLong("per-node-ports"), help: "Also listen on one port per node, streaming that node's events.")
    var perNodePorts = false

    @Option(name: .customLong("node-port-base"), help: "First per-node port (0: free ports).")
    var nodePortBase = 0

    @Option(name: .customLong("cold-start-window"), help: "The cold-start stabilisation window (e.g. 30s, 2s).")
    var coldStartWindow = "30s"

    @Option(name: .customLong("planned-scale-window"), help: "The planned-scale stabilisation window.")
    var plannedScaleWindow = "10s"

    @Option(help: "Failover inhibit window after a failover or promotion.")
    var inhibit = "30s"

    @Option(name: .customLong("migration-timeout"), help: "A migration running longer fails with `timeout`.")
    var migrationTimeout = "5m"

    @Option(name: .customLong("cluster-name"), help: "The cluster's name.")
    var clusterName = "sim"

    func validate() throws {
        guard nodes >= 1, nodes <= 1_000 else { throw ValidationError("--nodes must be 1...1000") }
        guard partitions >= 0, partitions <= 1_000_000 else { throw ValidationError("--partitions must be 0...1000000") }
        guard tenants >= 0, tenants <= 100_000 else { throw ValidationError("--tenants must be 0...100000") }
        guard ["consistent_hash", "round_robin", "weighted"].contains(strategy) else {
            throw ValidationError("--strategy must be consistent_hash, round_robin or weighted")
        }
        _ = try flags.options(listen: listen)
        for (name, value) in [
            ("--cold-start-window", coldStartWindow), ("--planned-scale-window", plannedScaleWindow), ("--inhibit", inhibit),
            ("--migration-timeout", migrationTimeout),
        ] {
            guard parseDuration(value) != nil else { throw ValidationError("\(name) \(value) is not a duration (like 500ms, 10s, 1m30s)") }
        }
        if let rate, !(rate >= 0 && rate <= 1_000_000) { throw ValidationError("--rate must be 0...1000000") }
        _ = try publish.config(fallbackCluster: clusterName, readOnly: false)
    }

    func simConfig() -> SimConfig {
        var c = SimConfig()
        c.clusterName = clusterName
        c.nodes = nodes
        c.partitions = partitions
        c.tenants = tenants
        c.regions = regions.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        c.strategy = AssignmentStrategy(wire: strategy)
        c.seed = seed
        c.rate = rate
        c.demoFaults = demoFaults
        c.coldStartWindowMillis = parseDuration(coldStartWindow) ?? 30_000
        c.plannedScaleWindowMillis = parseDuration(plannedScaleWindow) ?? 10_000
        c.inhibitMillis = parseDuration(inhibit) ?? 30_000
        c.migrationTimeoutMillis = parseDuration(migrationTimeout) ?? 300_000
        return c
    }

    func run() async throws {
        var options = try flags.options(listen: listen)
        options.perNodePorts = perNodePorts
        options.nodePortBase = nodePortBase
        options.flood = flood
        options.realtime = !flood
        if let floodSeconds {
            guard flood else { throw ValidationError("--flood-seconds needs --flood") }
            guard floodSeconds > 0, floodSeconds <= 31_536_000 else {
                throw ValidationError("--flood-seconds must be above 0 and at most a year (31536000), got \(floodSeconds)")
            }
            options.floodDuration = .milliseconds(Int64(floodSeconds * 1_000))
            options.floodEnded = { outcome in
                print("clusterdash sim: \(outcome.line)")
                fflush(nil)
            }
        }
        let start = wallClockNow()
        var scheduled: [(Fault, Timestamp)] = []
        if let scenario {
            let text = try String(contentsOfFile: scenario, encoding: .utf8)
            do {
                scheduled = try Scenario.parse(toml: text).schedule(from: start)
            } catch {
                throw ValidationError("\(scenario): \(error.description)")
            }
        }
        let logger = flags.logger("clusterdash.sim")
        let config = simConfig()
        let core = SimulatorCore(config: config, start: start)
        for (fault, at) in scheduled { await core.schedule(fault, at: at) }
        let published = try publish.services(core: core, fallbackCluster: config.clusterName, readOnly: false, logger: logger)
        options.moreStats = published.moreStats
        let server = try await SimulatorServer.start(
            core: core, options: options, logger: logger, signals: [.sigint, .sigterm], services: published.services)
        if flood {
            // The flood continues from a settled cluster: run the cold start first.
            await server.core.advance(to: start.adding(millis: config.coldStartWindowMillis + 2_000))
        }
        print("clusterdash sim: serving \(server.url)")
        for node in config.nodeIDs {
            if let u = server.nodeURLs[node] { print("  \(node): \(u)") }
        }
        if options.requiresToken { print("  bearer token required") }
        if let summary = published.summary { print(summary) }
        fflush(nil)
        try await server.wait()
        print("clusterdash sim: stopped")
    }
}

/// What every protocol-v1 server of ours takes (`sim`, `gateway`): tokens
/// TLS and the log level; `--listen` is each command's own (their defaults differ).
struct ServerFlags: ParsableArguments {
    @Option(name: .customLong("token-read"), help: "Bearer token that may subscribe (default: CLUSTERDASH_TOKEN_READ).")
    var tokenRead: String?

    @Option(name: .customLong("token-operate"), help: "Bearer token that may also send commands (default: CLUSTERDASH_TOKEN_OPERATE).")
    var tokenOperate: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (to stderr).")
    var logLevel = "notice"

    @Option(name: .customLong("tls-cert"), help: "Serve TLS (wss://) with this PEM certificate (chain); needs --tls-key.")
    var tlsCert: String?

    @Option(name: .customLong("tls-key"), help: "The PEM private key of --tls-cert.")
    var tlsKey: String?

    /// The server's options: `listen` (HOST:PORT, checked) and the tokens.
    func options(listen: String) throws -> StreamServerOptions {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]), (0...65_535).contains(port)
        else { throw ValidationError("--listen must be HOST:PORT, got \(listen)") }
        let environment = ProcessInfo.processInfo.environment
        var options = StreamServerOptions()
        options.host = String(listen[..<colon])
        options.port = port
        options.readToken = tokenRead ?? environment["CLUSTERDASH_TOKEN_READ"]
        options.operateToken = tokenOperate ?? environment["CLUSTERDASH_TOKEN_OPERATE"]
        switch (tlsCert, tlsKey) {
        case (nil, nil): break
        case (let cert?, let key?):
            do {
                options.tls = try ServerTLS.configuration(certFile: cert, keyFile: key)
            } catch {
                throw ValidationError(error.description)
            }
        case (nil, _?): throw ValidationError("--tls-key needs --tls-cert (the certificate it goes with)")
        case (_?, nil): throw ValidationError("--tls-cert needs --tls-key (the certificate's private key)")
        }
        return options
    }

    func logger(_ label: String) -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .notice
        return logger
    }
}
