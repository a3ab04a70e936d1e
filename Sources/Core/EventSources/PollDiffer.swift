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
    /// The engine's partition table, when it has one (Redis Cluster's slots).
    public var assignment: AssignmentTable?
    /// Moves under way when the poll was taken (for a snapshot).
    public var migrations: [MigrationInfo] = []
    /// Why the engine's last rebalance ran, where it writes it (Parti's
    /// `lifecycle`): the table is then published whole, with the reason,
    /// whenever its version or the reason changes.
    public var assignmentReason: RebalanceReason?

    public init(
        name: String, term: Int64, nodes: [NodeInfo], engine: EngineClusterInfo? = nil, history: FailoverHistory? = nil,
        causeHint: String? = nil, assignment: AssignmentTable? = nil
    ) {
        self.assignment = assignment
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
    /// Per shard, a leader that died or left with no successor yet: the
    /// next leader's cause.
    private var lostLeaders: [String: String] = [:]

    struct LeaderChange {
        var old: String?
        var new: String?
        var cause: String
        var changed: Bool { new != nil && new != old }
    }

    static func shard(_ n: NodeInfo) -> String { n.engine?.shard ?? "" }

    /// The first primary of each shard, by the order the engine lists them.
    static func primaryByShard(_ nodes: [NodeInfo]) -> [String: String] {
        var out: [String: String] = [:]
        for n in nodes where n.role == .primary && out[shard(n)] == nil { out[shard(n)] = n.id }
        return out
    }

    /// The change of an assignment table: the slots that moved when the
    /// partition set is the same (each once), else the whole table.
    static func assignmentEvent(from old: AssignmentTable?, to new: AssignmentTable) -> Event {
        if let old {
            let before = Dictionary(old.partitions.map { ($0.id, $0.worker) }, uniquingKeysWith: { a, _ in a })
            let after = Dictionary(new.partitions.map { ($0.id, $0.worker) }, uniquingKeysWith: { a, _ in a })
            if before.count == old.partitions.count, after.count == new.partitions.count, Set(before.keys) == Set(after.keys),
                old.partitions.map(\.weight) == new.partitions.map(\.weight)
            {
                let moves = new.partitions.compactMap { p -> PartitionMove? in
                    let from = before[p.id] ?? nil
                    return from == p.worker ? nil : PartitionMove(partition: p.id, from: from, to: p.worker)
                }
                return .assignmentMoved(AssignmentMoved(version: new.version, baseVersion: old.version, moves: moves))
            }
        }
        return .assignmentPublished(AssignmentPublished(version: new.version, strategy: new.strategy, reason: nil, partitions: new.partitions))
    }

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
            cluster: c.name, term: c.term, leader: c.primaries.first, nodes: c.nodes, assignment: c.assignment, migrations: c.migrations,
            seqs: [source: seq],
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
        // A change of leader is told per shard (one replication group; the
        // whole cluster for an engine with one).
        var changes: [String: LeaderChange] = [:]
        let oldByShard = Self.primaryByShard(previous.nodes)
        let newByShard = Self.primaryByShard(next.nodes)
        for shard in Set(oldByShard.keys).union(newByShard.keys).union(next.nodes.map(Self.shard)) {
            let oldPrimary = oldByShard[shard]
            let newPrimary = newByShard[shard]
            // The cause of a change of leader, as far as it can be told.
            let oldLeaderAlive = oldPrimary.flatMap { after[$0] }.map { $0.health != .unhealthy } ?? false
            if let old = oldPrimary, newPrimary == nil, !oldLeaderAlive { lostLeaders[shard] = old }
            let cause =
                next.causeHint
                ?? (oldPrimary == nil
                    ? lostLeaders[shard].map { "failover: leader lost (\($0))" } ?? "leader elected"
                    : oldLeaderAlive ? "switchover" : "failover: leader lost")
            if newPrimary != nil { lostLeaders[shard] = nil }
            changes[shard] = LeaderChange(old: oldPrimary, new: newPrimary, cause: cause)
        }
        if lostLeaders.count > 64 { lostLeaders = [:] }
        // A leader that steps down is told before its successor steps up:
        // applied in the other order, the two would be primaries at once.
        let demotedFirst = next.nodes.filter { before[$0.id]?.role == .primary } + next.nodes.filter { before[$0.id]?.role != .primary }
        for n in demotedFirst {
            guard let old = before[n.id] else {
                emit(.nodeJoined(NodeJoined(node: n)))
                continue
            }
            let change = changes[Self.shard(n)] ?? LeaderChange(old: nil, new: nil, cause: "observed")
            if old.role != n.role {
                let reason =
                    (old.role == .primary || n.role == .primary) && (change.changed || old.role == .primary) ? change.cause : "observed"
                emit(.roleChanged(RoleChanged(node: n.id, from: old.role, to: n.role, term: max(n.term, term), reason: reason)))
                if old.role == .primary {
                    let demotion: DemotionCause =
                        n.health == .unhealthy ? .health : change.cause.hasPrefix("switchover") ? .gracefulHandoff : .other(change.cause)
                    emit(.demoted(Demoted(node: n.id, cause: demotion, term: max(n.term, term))))
                }
            }
            // Only an engine that tells a worker's state (Parti's, inferred
            // from its keys) changes it; the others keep `stable`.
            if old.managerState != n.managerState {
                emit(
                    .stateChanged(
                        StateChanged(node: n.id, from: old.managerState, to: n.managerState, calculatorState: nil, reason: nil, windowMillis: nil)))
            }
            if old.health != n.health {
                emit(.healthChanged(HealthChanged(node: n.id, from: old.health, to: n.health, consecutiveFailures: 0, detail: n.engine?.state)))
            }
            if Self.engineDetail(old) != Self.engineDetail(n) || old.address != n.address || old.region != n.region
                || (old.term != n.term && old.role == n.role)
            {
                emit(.nodeUpdated(NodeUpdated(node: n)))
            }
        }
        for (_, change) in changes.sorted(by: { $0.key < $1.key }) where change.changed {
            if let newPrimary = change.new {
                emit(.authorityTransferred(AuthorityTransferred(requestID: nil, oldPrimary: change.old, newPrimary: newPrimary, term: term)))
            }
        }
        // A new term names one leader only where the cluster is one group;
        // an engine of shards (Redis Cluster's epochs) tells its changes of
        // master above, shard by shard.
        let newPrimary = next.primaries.first
        if next.term > previous.term, let leader = newPrimary, !next.nodes.contains(where: { $0.engine?.shard != nil }) {
            emit(.leaderElected(LeaderElected(term: next.term, leader: leader, votes: 0)))
        }
        if let table = next.assignment, let reason = next.assignmentReason {
            if table.partitions != previous.assignment?.partitions || table.version != previous.assignment?.version
                || reason != previous.assignmentReason
            {
                emit(
                    .assignmentPublished(
                        AssignmentPublished(version: table.version, strategy: table.strategy, reason: reason, partitions: table.partitions)))
            }
        } else if let table = next.assignment, table.partitions != previous.assignment?.partitions {
            emit(Self.assignmentEvent(from: previous.assignment, to: table))
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

extension Optional where Wrapped == PollDiffer {
    /// A command's result: stamped in the differ's sequence once there is
    /// one, else (before the first poll) alone, from `source`, with an id
    /// no other result shares.
    public mutating func stampResult(_ result: CommandResult, source: String, at now: Timestamp) -> Envelope {
        let event = Event.commandResult(result)
        if self != nil, let e = self?.stamp(event, at: now, correlationID: result.requestID) { return e }
        var stamper = EnvelopeStamper(idPrefix: "\(source)-result-\(now.millis)-\(result.requestID ?? "none")-")
        return stamper.stamp(event, from: source, at: now, correlation: result.requestID)
    }
}
