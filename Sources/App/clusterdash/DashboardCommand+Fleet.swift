import Dashboard
import DashboardRuntime
import EngineKit
import EventSources
import Foundation
import Logging
import NATSStreamSource

/// `clusterdash --fleet`: the config file's clusters (or those named with
/// `--cluster`), each read by its own engine's source, beside every cluster
/// found on the NATS servers given; one line each, each cluster's dashboard
/// live in the background.
extension DashboardCommand {
    func runFleet(file: ConfigFile, library: ThemeLibrary, logger: Logger) async throws {
        let unknown = clusters.filter { file.clusters[$0] == nil }
        if let name = unknown.first {
            throw ValidationFailure("no cluster \(name) in \(configPath) (have: \(file.clusters.keys.sorted().joined(separator: ", ")))")
        }
        let names = clusters.isEmpty ? file.clusters.keys.sorted() : clusters
        let nats = try connection.settings() as? StreamSettings
        if names.isEmpty && nats == nil {
            throw ValidationFailure("--fleet: no cluster in \(configPath) and no NATS server given (--endpoint nats://HOST:PORT)")
        }
        let loaded = try loadTheme(library, chosen: nil, file: file, logger: logger)
        var base = baseSetup(file: file, library: library, theme: loaded, chosen: nil)
        let readOnly = self.readOnly || wall
        base.mode = wall ? .wall(noQuitKey: noQuitKey) : readOnly ? .readOnly : .interactive
        base.incidentView = incident

        // Each configured cluster through its engine's connector. A broken
        // table is the file's error (naming the field); a source that cannot
        // be made (a credentials variable not set) is listed with why.
        var sources: [String: any EventSource] = [:]
        var setups: [String: DashboardSetup] = [:]
        for name in names {
            guard let c = file.clusters[name] else { continue }
            var s = c.settings
            try connection.refine(&s)
            for problem in s.preflight() {
                throw ValidationFailure("\(file.error(field: "clusters.\(c.name).\(problem.key)", problem.message))")
            }
            let clusterReadOnly = readOnly || c.readOnly
            s.readOnly = clusterReadOnly
            var setup = base
            setup.thresholds = thresholds(for: c)
            setup.mode = wall ? .wall(noQuitKey: noQuitKey) : clusterReadOnly ? .readOnly : .interactive
            do {
                let made = try connect(s, record: nil, logger: logger)
                for w in made.warnings { logger.warning("\(name): \(w)") }
                setup.provides = made.source.provides
                setup.notice = made.warnings.first.map { "WARNING \($0)" }
                sources[name] = made.source
            } catch {
                logger.warning("\(name): \(error)")
                sources[name] = UnconnectedSource(what: "\(c.engine.rawValue) \(name)", reason: "\(error)")
                setup.provides = []
            }
            setups[name] = setup
        }
        var found: FleetSource?
        if let nats {
            let servers = try StreamConnector.natsServers(nats.endpoints)
            found = FleetSource(
                servers: servers, credentials: try StreamConnector.natsCredentials(nats.authEnv), readOnly: readOnly, logger: logger)
        }
        let list = ClusterList(named: sources, also: found)
        list.start()
        logger.notice("fleet: \(names.count) configured clusters\(found.map { ", and the clusters on \($0.endpointNames.joined())" } ?? "")")

        let signals = QuitSignals()
        signals.install()
        var runtime = RuntimeSetup(
            model: AppModel(now: wallClockNow(), setup: base), source: list, commands: nil, theme: loaded,
            loadTheme: { try library.load($0) }, stateDirectory: stateDirectory(), logger: logger)
        runtime.quitSignal = { signals.received }
        // A cluster found on NATS tells and takes what its stream says.
        var foundSetup = base
        foundSetup.provides = .all
        let driver = FleetDriver(source: list, setup: foundSetup, readOnly: readOnly, now: wallClockNow(), wall: wall, noQuitKey: noQuitKey)
        driver.clusterSetups = setups
        runtime.fleet = driver
        let env = ProcessInfo.processInfo.environment
        await runDashboard(runtime, colorMode: noColor || (env["NO_COLOR"].map { !$0.isEmpty } ?? false) ? .off : .auto, ascii: ascii)
        await list.stop()
        logger.notice("fleet ended")
    }
}
