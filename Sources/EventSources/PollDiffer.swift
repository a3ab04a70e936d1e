import ClusterProtocol

/// What one poll of an engine saw (Patroni's /cluster, Sentinel's masters):
/// the members with their roles, health and lag, as the engine reports them.
public struct PolledCluster: Sendable, Hashable {
    public var name: String
    public var term: Int64
    public var nodes: [NodeInfo]
    /// The engine's cluster-wide state (pause, a scheduled switchover…).
    public var engine: EngineClusterInfo?
    /// The engine's record of leader changes, when it keeps one.
    public var history: FailoverHistory?
    /// Why the leader would have changed, when the engine said so (a
    /// switchover key, a command of ours); else the differ tells what it can.
    public var causeHint: String?

    public init(
        name: String, term: Int64, nodes: [NodeInfo], engine: EngineClusterInfo? = nil, history: FailoverHistory? = nil,
        causeHint: String? = nil
    ) {
        self.name = name
        self.term = term
        self.nodes = nodes
        self.engine = engine
        self.history = history
        self.causeHint = causeHint
    }

    public var primaries: [String] { nodes.filter { $0.role == .primary }.map(\.id) }
}

/// Turns successive polls into protocol-v1 events: a snapshot first, then
/// only what changed (joined, left, role with its cause, a demotion and the
/// transfer of authority, health, engine detail, a new leader's term), a
/// heartbeat per member the engine reports serviceable (so "heard" stays
/// honest) and a lag sample per replica each poll. Every engine source that
/// polls is this plus a client; the dashboard cannot tell it from a stream.
public struct PollDiffer: Sendable {
    /// The source the events come from (the engine's name for the cluster).
    public let source: String
    private var stamper: EnvelopeStamper
    private var last: PolledCluster?
    /// A leader that died or left with no successor yet: the next leader's cause.
    private var lostLeader: String?

    public init(source: String, idPrefix: String) {
        self.source = source
        stamper = EnvelopeStamper(idPrefix: idPrefix)
    }

    /// Forgets the last poll: the next one is sent as a snapshot (after a
    /// reconnect, or when the dashboard asks for one).
    public mutating func resync() { last = nil }

    /// The last poll, as a snapshot that continues this source's sequence
    /// (for a subscriber that joins later); nil before the first poll.
    public mutating func snapshot(at t: Timestamp) -> Envelope? {
        guard let last else { return nil }
        return stamper.stamp(.snapshot(Self.snapshot(of: last, seq: stamper.seqs[source] ?? 0, source: source)), from: source, at: t)
    }

    /// Stamps an event that is not a diff (a command's result, its log lines)
    /// in this source's sequence.
    public mutating func stamp(_ event: Event, at t: Timestamp, correlationID: String? = nil) -> Envelope {
        stamper.stamp(event, from: source, at: t, correlation: correlationID)
    }

    /// The last poll (nil before the first, or after `resync`).
    public var lastPoll: PolledCluster? { last }

    static func snapshot(of c: PolledCluster, seq: Int64, source: String) -> ClusterSnapshot {
        ClusterSnapshot(
            cluster: c.name, term: c.term, leader: c.primaries.first, nodes: c.nodes, assignment: nil, seqs: [source: seq],
            engine: c.engine, history: c.history)
    }

    public mutating func diff(_ next: PolledCluster, at t: Timestamp) -> [Envelope] {
        var out: [Envelope] = []
        func emit(_ e: Event) { out.append(stamper.stamp(e, from: source, at: t)) }
        guard let previous = last else {
            last = next
            emit(.snapshot(Self.snapshot(of: next, seq: stamper.seqs[source] ?? 0, source: source)))
            return out
        }
        last = next
        let before = Dictionary(previous.nodes.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let after = Dictionary(next.nodes.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let term = max(next.term, previous.term)
        for old in previous.nodes where after[old.id] == nil {
            emit(.nodeLeft(NodeLeft(node: old.id, reason: .heartbeatExpired)))
        }
        let oldPrimary = previous.primaries.first
        let newPrimary = next.primaries.first
        let leaderChanged = newPrimary != nil && newPrimary != oldPrimary
        // The cause of a change of leader, as far as it can be told.
        let oldLeaderAlive = oldPrimary.flatMap { after[$0] }.map { $0.health != .unhealthy } ?? false
        if let old = oldPrimary, newPrimary == nil, !oldLeaderAlive { lostLeader = old }
        let cause =
            next.causeHint
            ?? (oldPrimary == nil
                ? lostLeader.map { "failover: leader lost (\($0))" } ?? "leader elected"
                : oldLeaderAlive ? "switchover" : "failover: leader lost")
        if newPrimary != nil { lostLeader = nil }
        for n in next.nodes {
            guard let old = before[n.id] else {
                emit(.nodeJoined(NodeJoined(node: n)))
                continue
            }
            if old.role != n.role {
                let reason = (old.role == .primary || n.role == .primary) && (leaderChanged || old.role == .primary) ? cause : "observed"
                emit(.roleChanged(RoleChanged(node: n.id, from: old.role, to: n.role, term: max(n.term, term), reason: reason)))
                if old.role == .primary {
                    let demotion: DemotionCause =
                        n.health == .unhealthy ? .health : cause.hasPrefix("switchover") ? .gracefulHandoff : .other(cause)
                    emit(.demoted(Demoted(node: n.id, cause: demotion, term: max(n.term, term))))
                }
            }
            if old.health != n.health {
                emit(.healthChanged(HealthChanged(node: n.id, from: old.health, to: n.health, consecutiveFailures: 0, detail: n.engine?.state)))
            }
            if Self.engineDetail(old) != Self.engineDetail(n) || old.address != n.address || (old.term != n.term && old.role == n.role) {
                emit(.nodeUpdated(NodeUpdated(node: n)))
            }
        }
        if leaderChanged, let newPrimary {
            emit(.authorityTransferred(AuthorityTransferred(requestID: nil, oldPrimary: oldPrimary, newPrimary: newPrimary, term: term)))
        }
        if next.term > previous.term, let leader = newPrimary {
            emit(.leaderElected(LeaderElected(term: next.term, leader: leader, votes: 0)))
        }
        if let engine = next.engine, engine != previous.engine {
            emit(.engineStatus(engine))
        }
        if let history = next.history, history != previous.history {
            emit(.failoverHistory(history))
        }
        // Every member the engine still reports serviceable was heard of now.
        for n in next.nodes where n.health != .unhealthy {
            emit(.heartbeat(NodeHeartbeat(node: n.id, role: n.role, health: n.health, term: n.term)))
        }
        for n in next.nodes where n.role == .replica {
            if let e = n.engine, let state = e.lagState {
                emit(.replicationLagBytes(ReplicationLagBytes(follower: n.id, leader: newPrimary, lagBytes: e.lagBytes, state: state)))
            } else if let lag = n.lagMillis {
                emit(.replicationLag(ReplicationLag(follower: n.id, leader: newPrimary, lagMillis: lag, lagEntries: 0, walPosition: nil)))
            }
        }
        return out
    }

    /// What of a node's engine detail is news (its lag is not: lag samples carry it).
    static func engineDetail(_ n: NodeInfo) -> EngineNodeInfo? {
        guard var e = n.engine else { return nil }
        e.lagBytes = nil
        e.lagState = nil
        return e
    }
}
