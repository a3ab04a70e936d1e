import RedisRules

/// What the Redis Cluster connector's probe compares between full polls:
/// each master's own `CLUSTER NODES`, without the ping and pong times that
/// move at every heartbeat. A slot handed over (`SETSLOT … NODE`: the
/// importing master's view changes first), a move's marks, a node suspected
/// or failed, a failover: each changes some master's view. (The epochs of
/// `CLUSTER INFO` are cheaper but miss a hand-over to the master that
/// already holds the highest config epoch, which Redis does not bump: every
/// slot after the first of a reshard to one target.) When a master's view
/// differs from the last seen, or it stops answering, the full poll runs at
/// once.
struct MasterViewWatch: Sendable {
    enum Seen: Equatable, Sendable {
        case answered([ClusterNode])
        case silent
    }

    /// The masters of the last full poll: the probe's targets.
    private(set) var targets: [String] = []
    private var last: [String: Seen] = [:]

    /// A view as compared: in id order, heartbeat times left out.
    static func seen(_ view: [ClusterNode]?) -> Seen {
        guard let view else { return .silent }
        return .answered(
            view.map { n in
                var n = n
                n.pingSent = 0
                n.pongReceived = 0
                return n
            }.sorted { $0.id < $1.id })
    }

    /// A full poll's views: its masters become the targets, and what each
    /// said (nil: no answer) is what the next probe compares with.
    mutating func polled(masters: [String], views: [String: [ClusterNode]?]) {
        targets = masters
        last = [:]
        for address in masters { last[address] = Self.seen(views[address] ?? nil) }
    }

    /// A probe's views (nil: no answer or garbage); true when any target's
    /// differs from the last seen, so that the full poll is due now. A
    /// master that stays silent wakes the poll once, not at every probe.
    mutating func probed(_ views: [String: [ClusterNode]?]) -> Bool {
        var changed = false
        for (address, view) in views where targets.contains(address) {
            let now = Self.seen(view)
            if let before = last[address], before != now { changed = true }
            last[address] = now
        }
        return changed
    }
}
