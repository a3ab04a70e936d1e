import ClusterProtocol
import Dashboard
import EventSources
import RenderCore

/// The fleet's side of the runtime (touched only on the curses thread): the
/// fleet screen's model, and a model per cluster fed by that cluster's own
/// source, created as the discovery finds clusters. What `update` returns
/// for a cluster in the background comes back to the runtime, which
/// performs it against that cluster's source: nothing is dropped.
public final class FleetDriver: @unchecked Sendable {
    public let source: any ClusterDiscovery
    var model: FleetModel
    /// How each cluster's dashboard is set up (its label is the cluster's name).
    let setup: DashboardSetup
    let readOnly: Bool
    /// A configured cluster's own setup (its thresholds, what its engine
    /// tells and takes); a cluster found on NATS gets `setup`.
    public var clusterSetups: [String: DashboardSetup] = [:]
    private(set) var sources: [String: any EventSource] = [:]
    /// Each cluster's endpoint statuses last given to its model: a change
    /// goes to it even with no envelope (a cluster that cannot connect says
    /// why, not "connecting" forever).
    var lastStatuses: [String: [EndpointStatus]] = [:]

    /// `wall`: the fleet on a wall display (`--wall --fleet`): no cluster
    /// is opened, only q quits (not even q with `noQuitKey`).
    public init(
        source: any ClusterDiscovery, setup: DashboardSetup, readOnly: Bool, now: Timestamp, wall: Bool = false, noQuitKey: Bool = false
    ) {
        self.source = source
        self.setup = setup
        self.readOnly = readOnly || wall
        model = FleetModel(now: now)
        model.wall = wall
        model.noQuitKey = noQuitKey
        model.discovery = source.discoveryStatus
    }

    /// Applies `message` to a cluster's model in place (taken out of the
    /// dictionary first, so its state is not copied); returns its effects.
    func update(_ name: String, _ message: Msg) -> [Effect] {
        guard var m = model.models.removeValue(forKey: name) else { return [] }
        let effects = Dashboard.update(&m, message)
        model.models[name] = m
        return effects
    }

    /// Picks up the clusters found since the last frame; returns their names
    /// (the runtime tells each its size).
    func discover(now: Timestamp) -> [String] {
        var found: [String] = []
        for (name, s) in source.clusterSources where sources[name] == nil {
            found.append(name)
            sources[name] = s
            var setup = clusterSetups[name] ?? self.setup
            setup.clusterLabel = name
            model.add(name, model: AppModel(now: now, setup: setup))
        }
        model.discovery = source.discoveryStatus
        return found
    }

    /// The clusters in the background (not opened), for what every one of them gets.
    public var backgroundNames: [String] { model.names.filter { $0 != model.opened } }
}
