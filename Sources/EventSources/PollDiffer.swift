import ClusterProtocol

/// What one poll of an engine saw (Patroni's /cluster, Sentinel's masters):
/// the members with their roles, health and lag, as the engine reports them.
public struct PolledCluster: Sendable, Hashable {
    public var name: String
    public var term: Int64
    public var nodes: [NodeInfo]

    public init(name: String, term: Int64, nodes: [NodeInfo]) {
        self.name = name
        self.term = term
        self.nodes = nodes
    }

    public var primaries: [String] { nodes.filter { $0.role == .primary }.map(\.id) }
}

/// Turns successive polls into protocol-v1 events: a snapshot first, then
/// only what changed (joined, left, role, health, a new leader's term), a
/// heartbeat per member the engine reports healthy (so "heard" stays honest)
/// and a lag sample per replica each poll. Every engine source that polls is this
/// plus a client; the dashboard cannot tell it from a stream.
public struct PollDiffer: Sendable {
    /// The source the events come from (the engine's name for the cluster).
    public let source: String
    private var stamper: EnvelopeStamper
    private var last: PolledCluster?

    public init(source: String, idPrefix: String) {
        self.source = source
        stamper = EnvelopeStamper(idPrefix: idPrefix)
    }

    /// Forgets the last poll: the next one is sent as a snapshot (after a
    /// reconnect, or when the dashboard asks for one).
    public mutating func resync() { last = nil }

    public mutating func diff(_ next: PolledCluster, at t: Timestamp) -> [Envelope] {
        var out: [Envelope] = []
        func emit(_ e: Event) { out.append(stamper.stamp(e, from: source, at: t)) }
        guard let previous = last else {
            last = next
            let leader = next.primaries.first
            emit(
                .snapshot(
                    ClusterSnapshot(
                        cluster: next.name, term: next.term, leader: leader, nodes: next.nodes, assignment: nil,
                        seqs: [source: stamper.seqs[source] ?? 0])))
            return out
        }
        last = next
        let before = Dictionary(previous.nodes.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let after = Dictionary(next.nodes.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        for old in previous.nodes where after[old.id] == nil {
            emit(.nodeLeft(NodeLeft(node: old.id, reason: .heartbeatExpired)))
        }
        for n in next.nodes {
            guard let old = before[n.id] else {
                emit(.nodeJoined(NodeJoined(node: n)))
                continue
            }
            if old.role != n.role {
                emit(.roleChanged(RoleChanged(node: n.id, from: old.role, to: n.role, term: max(n.term, next.term), reason: "observed")))
            }
            if old.health != n.health {
                emit(.healthChanged(HealthChanged(node: n.id, from: old.health, to: n.health, consecutiveFailures: 0, detail: nil)))
            }
        }
        if next.term > previous.term, let leader = next.primaries.first {
            emit(.leaderElected(LeaderElected(term: next.term, leader: leader, votes: 0)))
        }
        // Every member the engine still reports healthy was heard of now.
        for n in next.nodes where n.health != .unhealthy {
            emit(.heartbeat(NodeHeartbeat(node: n.id, role: n.role, health: n.health, term: n.term)))
        }
        let leader = next.primaries.first
        for n in next.nodes where n.role == .replica {
            if let lag = n.lagMillis {
                emit(.replicationLag(ReplicationLag(follower: n.id, leader: leader, lagMillis: lag, lagEntries: 0, walPosition: nil)))
            }
        }
        return out
    }
}
