import ClusterProtocol
import Dashboard
import EventSources
import NATSStream
import RenderCore

/// The fleet's side of the runtime (touched only on the curses thread): the
/// fleet screen's model, and a model per cluster fed by that cluster's own
/// source, created as the discovery finds clusters.
final class FleetDriver: @unchecked Sendable {
    let source: FleetSource
    var model: FleetModel
    /// How each cluster's dashboard is set up (its label is the cluster's name).
    let setup: DashboardSetup
    let readOnly: Bool
    private(set) var sources: [String: NATSSource] = [:]

    init(source: FleetSource, setup: DashboardSetup, readOnly: Bool, now: Timestamp) {
        self.source = source
        self.setup = setup
        self.readOnly = readOnly
        model = FleetModel(now: now)
        model.discovery = "looking for clusters on \(source.endpointNames.joined()) (clusterdash gateway --publish …)"
    }

    /// Applies `message` to a cluster's model in place (taken out of the
    /// dictionary first, so its state is not copied).
    func update(_ name: String, _ message: Msg) {
        guard var m = model.models.removeValue(forKey: name) else { return }
        _ = Dashboard.update(&m, message)
        model.models[name] = m
    }

    /// Picks up the clusters found since the last frame; true when there were any.
    @discardableResult
    func discover(now: Timestamp) -> Bool {
        var found = false
        for (name, s) in source.clusters where sources[name] == nil {
            found = true
            sources[name] = s
            var setup = self.setup
            setup.clusterLabel = name
            var m = AppModel(now: now, setup: setup)
            _ = Dashboard.update(&m, .resize(model.size))
            model.add(name, model: m)
        }
        if let status = source.statuses.first, case .backingOff(_, _, let why) = status, model.names.isEmpty {
            model.discovery = "no NATS server answers: \(why)"
        }
        let ignored = source.ignored
        if ignored > 0 { model.discovery = "\(ignored) more clusters not shown (at most \(source.limit))" }
        return found
    }

    func resize(_ size: Size) {
        model.size = size
        for name in model.names where name != model.opened { update(name, .resize(size)) }
    }

    func tick(_ t: Timestamp) {
        model.now = t
        for name in model.names where name != model.opened { update(name, .tick(t)) }
    }
}
