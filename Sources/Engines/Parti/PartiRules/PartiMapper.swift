import ClusterProtocol
import ClusterState
import EventSources

/// What one read of Parti's four buckets gave (keys without their prefix).
public struct PartiObservation: Sendable, Hashable {
    /// `parti-stableid`: claimed worker ids and when.
    public var ids: [String: Timestamp?]
    /// `parti-election`'s `leader`: the leader and since when; nil while none holds it.
    public var leader: (worker: String, since: Timestamp?)?
    /// `parti-heartbeat`: each worker's last beat (`heartbeat.<id>`).
    public var heartbeats: [String: Timestamp]
    /// `parti-assignment`: each worker's assignment (`assignment.<id>`).
    public var assignments: [String: PartiKV.Assignment]
    /// Keys whose value could not be read, with why.
    public var unreadable: [String]
    /// Buckets that do not exist (Parti never ran on this prefix, or its buckets were deleted).
    public var missingBuckets: [String]

    public init(
        ids: [String: Timestamp?] = [:], leader: (worker: String, since: Timestamp?)? = nil, heartbeats: [String: Timestamp] = [:],
        assignments: [String: PartiKV.Assignment] = [:], unreadable: [String] = [], missingBuckets: [String] = []
    ) {
        self.ids = ids
        self.leader = leader
        self.heartbeats = heartbeats
        self.assignments = assignments
        self.unreadable = unreadable
        self.missingBuckets = missingBuckets
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.ids == b.ids && a.leader?.worker == b.leader?.worker && a.leader?.since == b.leader?.since && a.heartbeats == b.heartbeats
            && a.assignments == b.assignments && a.unreadable == b.unreadable && a.missingBuckets == b.missingBuckets
    }

    public func hash(into h: inout Hasher) {
        h.combine(ids)
        h.combine(leader?.worker)
        h.combine(heartbeats)
        h.combine(assignments)
    }
}

/// Maps Parti's buckets onto the dashboard: workers are nodes (the
/// elected leader the primary), their heartbeat's age their health
/// (suspect past two beats, gone when the key expired), Parti's own
/// assignment table the partitions (each partition named by its keys,
/// every worker's claim kept, so a partition two workers hold is a
/// duplicate), the newest assignment's version and lifecycle the table's
/// version and the rebalance's reason, shown once two reads agree. Parti writes no worker or
/// calculator state: they are inferred from the keys (an id and a
/// heartbeat without an assignment is waiting for one). Parti keeps no
/// term: the term counts the leaders this mapper has seen. Pure.
public struct PartiMapper: Sendable {
    /// Parti's heartbeat interval (its default, 2 s): past two, a worker is suspect.
    public var heartbeatMillis: Int64 = 2_000
    private var term: Int64 = 0
    private var lastLeader: String?
    /// When the current leader was first seen leading (Parti's election
    /// key holds the time of its last renewal, not of the election).
    private var leaderSeenSince: Timestamp?
    private var partitionIDs: [String: Int64] = [:]
    private var nextPartitionID: Int64 = 0
    private var since: [String: (what: String, at: Timestamp)] = [:]
    private var pending: Table?
    private var settled: Table?

    public init() {}

    public mutating func cluster(_ o: PartiObservation, name: String, at now: Timestamp) -> PolledCluster {
        if let l = o.leader?.worker, l != lastLeader {
            term += 1
            lastLeader = l
            leaderSeenSince = now
        }
        let newest = o.assignments.values.map(\.version).max()
        var workers = Set(o.ids.keys).union(o.heartbeats.keys).union(o.assignments.keys)
        if let l = o.leader?.worker { workers.insert(l) }
        since = since.filter { workers.contains($0.key) }
        var nodes: [NodeInfo] = []
        var problems: [String] = []
        for w in workers.sorted(by: naturalLess) {
            let isLeader = o.leader?.worker == w
            let assignment = o.assignments[w]
            var health: NodeHealth = .healthy
            var state: String
            var manager: ManagerState = assignment == nil ? .waitingAssignment : .stable
            // One state a poll, each stamped with since when it holds (two
            // stamped in turn would each restart the other's time).
            let behind = assignment.flatMap { a in newest.flatMap { a.version < $0 ? (held: a.version, newest: $0) : nil } }
            if let behind { problems.append("\(w) holds v\(behind.held), the newest is v\(behind.newest)") }
            if let beat = o.heartbeats[w] {
                let late = now.millis - beat.millis > 2 * heartbeatMillis
                health = late ? .suspect : behind != nil ? .degraded : .healthy
                if let behind {
                    state = stamped(w, "assignment v\(behind.held) behind v\(behind.newest)\(late ? ", heartbeat late" : "")", at: now)
                } else if late {
                    state = stamped(w, "heartbeat late", at: now)
                } else {
                    state = assignment == nil ? stamped(w, "waiting for an assignment", at: now) : clear(w, "working")
                }
            } else {
                health = .unhealthy
                manager = .other("gone")
                state = stamped(w, "gone: heartbeat expired", at: now)
                if let a = assignment, !a.partitions.isEmpty { problems.append("\(w) gone with \(a.partitions.count) partitions") }
            }
            var engine = EngineNodeInfo(role: isLeader ? "leader" : "worker", state: state)
            if let a = assignment {
                let weight = a.partitions.reduce(Int64(0)) { $0.saturatingAdd($1.weight) }
                engine.position = "v\(a.version) \(a.lifecycle), \(a.partitions.count) partitions, weight \(weight)"
            }
            // The id claim's and the election key's times are renewals
            // (every beat): as tags they would fill the failover log. The
            // leader's tag is when this console first saw it lead.
            if isLeader, let s = leaderSeenSince { engine.tags = [JSONField("leader seen since", .string(s.rfc3339))] }
            nodes.append(
                NodeInfo(
                    id: w, role: isLeader ? .primary : .replica, health: health, term: term, managerState: manager,
                    lastHeartbeat: o.heartbeats[w], engine: engine))
        }
        if o.leader == nil, !workers.isEmpty { problems.insert("no leader elected", at: 0) }
        if !o.missingBuckets.isEmpty { problems.append("no bucket " + o.missingBuckets.joined(separator: ", ")) }
        if !o.unreadable.isEmpty { problems.append("unreadable: " + o.unreadable.prefix(3).joined(separator: ", ")) }
        // Ids for the partitions held now (one no worker holds any more
        // loses its id; a new one never takes an old one's).
        let held = Set(o.assignments.values.flatMap { $0.partitions.map(\.id) })
        partitionIDs = partitionIDs.filter { held.contains($0.key) }
        var partitions: [PartitionAssignment] = []
        for w in o.assignments.keys.sorted(by: naturalLess) {
            for p in o.assignments[w]?.partitions ?? [] {
                let key = p.id
                let id: Int64
                if let known = partitionIDs[key] {
                    id = known
                } else {
                    id = nextPartitionID
                    nextPartitionID += 1
                    partitionIDs[key] = id
                }
                partitions.append(PartitionAssignment(id: id, worker: w, weight: Double(p.weight), name: key))
            }
        }
        partitions.sort { $0.id < $1.id }
        let lifecycle = o.assignments.values.filter { $0.version == newest }.map(\.lifecycle).max()
        // Parti writes a version key by key: a read between two puts sees
        // part of it. A table is shown once two reads in a row agree.
        let read = newest.map { Table(version: $0, lifecycle: lifecycle, partitions: partitions) }
        if read == pending { settled = read }
        pending = read
        let info = EngineClusterInfo(
            name: PartiRules.name.rawValue, version: nil, lagUnit: "ms", feed: "polling", accepts: [], provides: ["roles", "assignments"],
            state: problems.isEmpty ? nil : problems.joined(separator: "; "))
        var polled = PolledCluster(
            name: name, term: term, nodes: nodes, engine: info,
            assignment: settled.map { AssignmentTable(version: $0.version, strategy: .other("parti"), partitions: $0.partitions) })
        polled.assignmentReason = settled?.lifecycle.map { RebalanceReason(wire: $0) }
        return polled
    }

    /// One read of the assignment bucket: the newest version, its lifecycle, every claim.
    struct Table: Sendable, Equatable {
        var version: Int64
        var lifecycle: String?
        var partitions: [PartitionAssignment]
    }

    mutating func stamped(_ worker: String, _ what: String, at now: Timestamp) -> String {
        if let s = since[worker], s.what == what { return "\(what) (since \(s.at.clockTime))" }
        since[worker] = (what, now)
        return "\(what) (since \(now.clockTime))"
    }

    mutating func clear(_ worker: String, _ state: String) -> String {
        since[worker] = nil
        return state
    }
}
