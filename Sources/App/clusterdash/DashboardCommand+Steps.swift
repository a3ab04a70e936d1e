import ClusterSim
import ClusterState
import Dashboard
import EngineKit
import EventSources
import Foundation
import Logging
import NATSStreamSource
import ProtocolV1Server
import RenderCore
import Simulator

/// The dashboard's start, step by step: the config, the cluster, the
/// thresholds and theme, the demo, the source.
extension DashboardCommand {
    var configPath: String { config ?? configDirectory() + "/config.toml" }

    /// The config file, read whole and strictly; an empty one when there is
    /// none and none was asked for.
    func loadConfig() throws -> ConfigFile {
        if FileManager.default.fileExists(atPath: configPath) {
            do {
                return try ConfigFile.load(path: configPath)
            } catch {
                throw ValidationFailure("\(error)")
            }
        } else if config != nil {
            throw ValidationFailure("no config file at \(configPath)")
        } else if let cluster {
            throw ValidationFailure("--cluster \(cluster): no config file at \(configPath) (--config names another)")
        }
        return ConfigFile()
    }

    /// The cluster: from the flags, else the named (or default) cluster of
    /// the config, with what the flags change. Nil settings: the demo.
    func chooseCluster(in file: ConfigFile) throws -> (chosen: ClusterConfig?, settings: (any EngineSettings)?) {
        var settings = try connection.settings()
        guard let name = cluster ?? (settings == nil ? file.defaultCluster : nil) else { return (nil, settings) }
        guard let c = file.clusters[name] else {
            throw ValidationFailure("no cluster \(name) in \(configPath) (have: \(file.clusters.keys.sorted().joined(separator: ", ")))")
        }
        if settings == nil {
            var s = c.settings
            try connection.refine(&s)
            for problem in s.preflight() {
                throw ValidationFailure("\(file.error(field: "clusters.\(c.name).\(problem.key)", problem.message))")
            }
            settings = s
        }
        return (c, settings)
    }

    /// The flags' thresholds, else the cluster's, else the defaults.
    func thresholds(for chosen: ClusterConfig?) -> Thresholds {
        var t = Thresholds()
        if let ms = lagWarn.flatMap(parseDuration) ?? chosen?.lagWarnMillis { t.lagWarnMillis = ms }
        if let ms = lagCrit.flatMap(parseDuration) ?? chosen?.lagCritMillis { t.lagCritMillis = ms }
        if let b = lagWarnBytes.flatMap(parseByteSize) ?? chosen?.lagWarnBytes { t.lagWarnBytes = b }
        if let b = lagCritBytes.flatMap(parseByteSize) ?? chosen?.lagCritBytes { t.lagCritBytes = b }
        if let b = chosen?.promotionLagLimitBytes { t.promotionLagLimitBytes = b }
        if let n = chosen?.lagWarnTransactions { t.lagWarnTransactions = n }
        if let n = chosen?.lagCritTransactions { t.lagCritTransactions = n }
        if let n = chosen?.promotionLagLimitTransactions { t.promotionLagLimitTransactions = n }
        return t
    }

    /// The theme: the flag's, the cluster's, the file's or `default`. From
    /// the flag, a failure is the flag's error; from the file, the file's
    /// field. Only the implicit `default` falls back to the built-in theme
    /// (an installed binary with no themes/ folder beside it).
    func loadTheme(_ library: ThemeLibrary, chosen: ClusterConfig?, file: ConfigFile, logger: Logger) throws -> Theme {
        do {
            return try library.load(theme ?? chosen?.theme ?? file.theme ?? "default")
        } catch {
            if theme != nil { throw ValidationFailure("\(error)") }
            if chosen?.theme == nil && file.theme == nil {
                logger.warning("no theme files found: \(error); using the built-in theme")
                return .fallback
            }
            let field = chosen?.theme != nil ? "clusters.\(chosen?.name ?? "").theme" : "theme"
            throw ValidationFailure("\(file.error(field: field, "\(error)"))")
        }
    }

    /// What every dashboard of this run starts from: the keys, the
    /// thresholds of `chosen` (or the flags' and defaults), the themes, who operates.
    func baseSetup(file: ConfigFile, library: ThemeLibrary, theme loaded: Theme, chosen: ClusterConfig?) -> DashboardSetup {
        var names = library.names
        if !names.contains(loaded.name) { names.insert(loaded.name, at: 0) }
        var setup = DashboardSetup()
        setup.keymap = Keymap().overriding(file.keys)
        setup.thresholds = thresholds(for: chosen)
        setup.themes = names
        setup.themeIndex = names.firstIndex(of: loaded.name) ?? 0
        setup.operatorName = ProcessInfo.processInfo.environment["USER"] ?? "operator"
        return setup
    }

    /// The demo cluster, in-process on a loopback port, with scripted trouble.
    func startDemo(logger: Logger) async throws -> SimulatorServer {
        var sim = SimConfig()
        sim.clusterName = "demo"
        sim.seed = demoSeed
        sim.demoFaults = true
        // A quiet first half minute to look around (and promote) before trouble starts.
        sim.demoStartMillis = 30_000
        sim.coldStartWindowMillis = 1_500
        sim.plannedScaleWindowMillis = 3_000
        sim.inhibitMillis = 20_000
        sim.rate = 8
        var options = StreamServerOptions()
        options.port = 0
        let server = try await SimulatorServer.start(simulation: sim, options: options, logger: logger)
        logger.notice("demo cluster on \(server.url)")
        return server
    }

    /// The source: the cluster's, through its engine's connector (the
    /// fleet's are made by `runFleet`).
    func makeSource(_ settings: any EngineSettings, logger: Logger) throws -> ConnectedEngine {
        try connect(settings, record: connection.record, logger: logger)
    }
}
