import ClusterProtocol
import EventSources
import PatroniProtocol

/// What one poll of a Patroni cluster gathered.
public struct PatroniObservation: Sendable, Hashable {
    public var view: PatroniClusterView
    /// Members whose REST API did not answer this poll.
    public var unreachable: Set<String>
    public var config: PatroniParse.Config?
    public var history: FailoverHistory?
    public var version: String?
    /// `etcd watch` while the watch runs, else `polling`.
    public var feed: String
    /// Set while the DCS says a switchover is under way (`/failover` key), or
    /// after a promotion of ours: the cause of the next change of leader.
    public var causeHint: String?

    public init(
        view: PatroniClusterView, unreachable: Set<String> = [], config: PatroniParse.Config? = nil, history: FailoverHistory? = nil,
        version: String? = nil, feed: String = "polling", causeHint: String? = nil
    ) {
        self.view = view
        self.unreachable = unreachable
        self.config = config
        self.history = history
        self.version = version
        self.feed = feed
        self.causeHint = causeHint
    }
}

/// Maps Patroni's words onto the dashboard's: a member is a node, its
/// timeline the term, its lag bytes (with `unknown`, `ahead` and `starting`
/// kept as such). Pure; remembers only what Patroni sometimes leaves out
/// (a timeline mid-switchover) and how many polls a member's API missed.
public struct PatroniMapper: Sendable {
    public let scope: String
    /// Polls in a row a member's REST API must miss before it counts as down.
    public var unreachableAfter = 3
    private var timelines: [String: Int64] = [:]
    private var misses: [String: Int] = [:]

    public init(scope: String) { self.scope = scope }

    public mutating func cluster(_ o: PatroniObservation) -> PolledCluster {
        var nodes: [NodeInfo] = []
        for m in o.view.members {
            if let tl = m.timeline { timelines[m.name] = tl }
            misses[m.name] = o.unreachable.contains(m.name) ? (misses[m.name] ?? 0) + 1 : 0
        }
        let known = Set(o.view.members.map(\.name))
        timelines = timelines.filter { known.contains($0.key) }
        misses = misses.filter { known.contains($0.key) }
        let term = o.view.members.compactMap { timelines[$0.name] }.max() ?? 0
        for m in o.view.members {
            let role: NodeRole = m.isLeader ? .primary : m.isReplica ? .replica : .unknown
            let (lagBytes, lagState) = Self.lag(m)
            let engine = EngineNodeInfo(
                role: m.role, state: m.state, lagBytes: lagBytes, lagState: lagState, tags: m.tags, pendingRestart: m.pendingRestart)
            let address = m.host.map { h in m.port.map { "\(h):\($0)" } ?? h }
            nodes.append(
                NodeInfo(
                    id: m.name, address: address, role: role, health: health(m), term: timelines[m.name] ?? term,
                    managerState: o.view.paused ? .other("paused") : .stable, engine: engine))
        }
        let info = EngineClusterInfo(
            name: "patroni", version: o.version, lagUnit: "bytes", feed: o.feed, paused: o.view.paused,
            scheduledSwitchover: o.view.scheduledSwitchover, maximumLagOnFailover: o.config?.maximumLagOnFailover,
            accepts: ["promote"], provides: ["roles", "lag"])
        return PolledCluster(name: scope, term: term, nodes: nodes, engine: info, history: o.history, causeHint: o.causeHint)
    }

    /// The byte lag of a replica and how to read it; nothing for a leader.
    static func lag(_ m: PatroniMember) -> (Int64?, LagState?) {
        guard !m.isLeader else { return (nil, nil) }
        let starting = startingStates.contains(m.state)
        switch m.lag {
        case .bytes(let b) where b < 0: return (nil, .ahead)
        case .bytes(let b): return starting ? (nil, .starting) : (b, .measured)
        case .unknown: return (nil, starting ? .starting : .unknown)
        case .absent: return (nil, starting ? .starting : .unknown)
        }
    }

    static let startingStates: Set<String> = [
        "starting", "creating replica", "initializing new cluster", "running custom bootstrap script",
        "starting after custom bootstrap", "restarting",
    ]
    static let downStates: Set<String> = ["stopped", "crashed", "start failed", "restart failed", "custom bootstrap failed"]

    func health(_ m: PatroniMember) -> NodeHealth {
        let missed = misses[m.name] ?? 0
        if missed >= unreachableAfter || Self.downStates.contains(m.state) { return .unhealthy }
        if missed > 0 { return .suspect }
        if m.state == "running" || m.state == "streaming" { return .healthy }
        if Self.startingStates.contains(m.state) || m.state == "stopping" { return .degraded }
        return .suspect
    }
}
