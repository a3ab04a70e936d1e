import ArgumentParser
import ClusterProtocol
import ClusterSim
import ClusterState
import Dashboard
import DashboardRuntime
import EngineKit
import EventSources
import Foundation
import Logging
import NATSClient
import NATSStreamSource
import NcursesBackend
import ProtocolV1Server
import ProtocolV1Source
import RenderCore
import Simulator

/// `clusterdash` (the default): the live dashboard. With no endpoint and no
/// configured cluster it starts a simulated cluster in-process on loopback
/// and watches it over a real WebSocket.
struct DashboardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard",
        abstract: "The live dashboard (the default command).",
        discussion: """
            With no --endpoint and no cluster in the config file, it starts a simulated \
            cluster with scripted trouble on a loopback port and connects to it: a live \
            demo. Keys: ? in the dashboard.
            """
    )

    @OptionGroup var connection: ConnectionOptions

    @Option(name: .customLong("cluster"), help: "A named cluster from the config file (with --fleet, repeatable: those clusters only).")
    var clusters: [String] = []

    /// The one cluster named (the fleet takes several).
    var cluster: String? { clusters.first }

    @Option(help: "Config file (default: $XDG_CONFIG_HOME/clusterdash/config.toml).")
    var config: String?

    @Option(help: "Theme name (default, light, high-contrast, monochrome, colorblind) or a path to a theme file.")
    var theme: String?

    @Flag(name: .customLong("no-color"), help: "No colour (also when NO_COLOR is set): meaning stays in symbols and attributes.")
    var noColor = false

    @Flag(help: "Plain ASCII instead of Unicode line drawing and symbols.")
    var ascii = false

    @Option(name: .customLong("log-file"), help: "Log file (default: $XDG_STATE_HOME/clusterdash/clusterdash.log).")
    var logFile: String?

    @Option(name: .customLong("lag-warn"), help: "Replication lag warning threshold (default 30s).")
    var lagWarn: String?

    @Option(name: .customLong("lag-crit"), help: "Replication lag critical threshold (default 60s).")
    var lagCrit: String?

    @Option(name: .customLong("demo-seed"), help: "Seed of the built-in demo cluster.")
    var demoSeed: UInt64 = 7

    @Flag(name: .customLong("read-only"), help: "Watch only: no command can be sent (the command path is not created).")
    var readOnly = false

    @Flag(help: "The wall display (implies --read-only): a big status banner, no cursor, no dialogs; only q quits.")
    var wall = false

    @Flag(name: .customLong("no-quit-key"), help: "With --wall: not even q quits (kiosks; stop it with a signal).")
    var noQuitKey = false

    @Flag(help: "Start in the on-call incident view (alerts by severity and the timeline; i toggles).")
    var incident = false

    @Flag(
        help:
            "Every cluster of the config file (or those named with --cluster), each through its own engine, and every cluster published on the NATS servers given with --endpoint nats://…: one line each (primary, worst alert, data age), worst first; Enter opens one, Esc comes back."
    )
    var fleet = false

    @Option(name: .customLong("lag-warn-bytes"), help: "Byte-lag warning threshold, for engines that measure bytes (default 1MiB).")
    var lagWarnBytes: String?

    @Option(name: .customLong("lag-crit-bytes"), help: "Byte-lag critical threshold (default 16MiB).")
    var lagCritBytes: String?

    func validate() throws {
        let flagged = try connection.settings()
        if fleet {
            let nats = connection.stream.endpoints.filter { NATSAddress.schemes.contains(URLComponents(string: $0)?.scheme ?? "") }
            guard flagged == nil || (flagged is StreamSettings && !nats.isEmpty && nats.count == connection.stream.endpoints.count) else {
                throw ValidationError(
                    "--fleet opens the config file's clusters, and reads NATS for more: give NATS servers only (--endpoint nats://HOST:PORT, repeatable)"
                )
            }
            if connection.record != nil { throw ValidationError("--record records one cluster; open it without --fleet") }
        } else if clusters.count > 1 {
            throw ValidationError("--cluster names one cluster; several go with --fleet")
        }
        for (name, v) in [("--lag-warn-bytes", lagWarnBytes), ("--lag-crit-bytes", lagCritBytes)] {
            if let v, parseByteSize(v) == nil { throw ValidationError("\(name) \(v) is not a size (like 16MiB)") }
        }
        for (name, v) in [("--lag-warn", lagWarn), ("--lag-crit", lagCrit)] {
            if let v, parseDuration(v) == nil { throw ValidationError("\(name) \(v) is not a duration (like 30s)") }
        }
    }

    func run() async throws {
        let logger = makeFileLogger(path: logFile ?? stateDirectory() + "/clusterdash.log")
        // Configuration: file, then named cluster, then flags. A broken file
        // is an error naming the file, line and field; it never falls back
        // to the demo (someone who asked for production must not be shown a
        // simulation).
        let file = try loadConfig()
        let library = ThemeLibrary()
        if fleet { return try await runFleet(file: file, library: library, logger: logger) }
        let (chosen, configured) = try chooseCluster(in: file)
        let loaded = try loadTheme(library, chosen: chosen, file: file, logger: logger)
        // No cluster: the demo cluster, in-process, over a real WebSocket.
        var demo: SimulatorServer?
        var settings: any EngineSettings
        if let configured {
            settings = configured
        } else {
            let server = try await startDemo(logger: logger)
            settings = StreamSettings(endpoints: [server.url])
            demo = server
        }
        let isReadOnly = readOnly || wall || (chosen?.readOnly ?? false)
        settings.readOnly = isReadOnly
        let made = try makeSource(settings, logger: logger)
        for w in made.warnings {
            logger.warning("\(w)")
            FileHandle.standardError.write(Data("warning: \(w)\n".utf8))
        }
        made.source.start()

        var setup = baseSetup(file: file, library: library, theme: loaded, chosen: chosen)
        setup.clusterLabel = demo != nil ? "demo" : chosen?.name
        setup.provides = made.source.provides
        // Shown on the screen too: the warning above is gone once curses starts.
        setup.notice = made.warnings.first.map { "WARNING \($0)" }
        setup.mode = wall ? .wall(noQuitKey: noQuitKey) : isReadOnly ? .readOnly : .interactive
        setup.incidentView = incident

        let signals = QuitSignals()
        signals.install()
        var runtime = RuntimeSetup(
            model: AppModel(now: wallClockNow(), setup: setup), source: made.source, commands: made.commands, theme: loaded,
            loadTheme: { try library.load($0) }, stateDirectory: stateDirectory(), logger: logger)
        runtime.quitSignal = { signals.received }
        let env = ProcessInfo.processInfo.environment
        await runDashboard(runtime, colorMode: noColor || (env["NO_COLOR"].map { !$0.isEmpty } ?? false) ? .off : .auto, ascii: ascii)
        await made.source.stop()
        if let demo { await demo.stop() }
        logger.notice("dashboard ended")
    }
}
