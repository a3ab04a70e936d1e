import ClusterProtocol
import ClusterState
import EventSources

/// What one poll of a Redis Cluster gathered: each reachable node's own view
/// (`CLUSTER NODES`), its `INFO replication`, key count and `CLUSTER INFO`.
public struct RedisClusterObservation: Sendable {
    /// Each node's `CLUSTER NODES`, by the address it was asked at.
    public var views: [String: [ClusterNode]] = [:]
    public var replication: [String: RedisInfo] = [:]
    public var keys: [String: Int64] = [:]
    /// `CLUSTER INFO` per node (`cluster_state`, `cluster_current_epoch`).
    public var clusterInfo: [String: RedisInfo] = [:]
    /// Addresses that did not answer this poll, with why.
    public var unreachable: [String: String] = [:]
    /// Addresses that answered `-LOADING`.
    public var loading: Set<String> = []
    public var version: String?

    public init() {}
}

/// A slot being moved, from the migrating/importing marks (addresses).
public struct SlotMove: Sendable, Hashable {
    public var slot: Int
    public var from: String
    public var to: String

    public init(slot: Int, from: String, to: String) {
        self.slot = slot
        self.from = from
        self.to = to
    }
}

/// Maps a Redis Cluster onto the dashboard's words: a node is a node (named
/// by its address), a master a primary of its shard, a replica's lag its
/// offset behind its master in bytes (and the age of its last ACK, labelled
/// as such), the config epoch its term; the 16384 slots are the partitions
/// and the masters their workers. Each node's view is compared with the
/// others': who owns a slot, who is master of whom. A disagreement that
/// outlives `divergenceAfter` polls (a failover or a hand-over settles in
/// less) is the divergence alarm, and a slot two views give to two masters
/// is shown claimed twice. Pure; remembers shard names, missed polls, the
/// table version and how long a disagreement has lasted.
public struct RedisClusterMapper: Sendable {
    public let name: String
    /// Polls in a row a disagreement must last before it is an alarm.
    public var divergenceAfter = 3
    /// Polls in a row a node must miss (with no `fail` flag) before it counts as down.
    public var unreachableAfter = 5
    public var accepts: [String] = ["promote", "migrate", "cancel_migration"]
    private var shards: [String: String] = [:]
    private var nextShard = 1
    private var misses: [String: Int] = [:]
    private var divergentPolls = 0
    private var lastPartitions: [PartitionAssignment] = []
    public private(set) var version: Int64 = 0

    public init(name: String) { self.name = name }

    public mutating func cluster(_ o: RedisClusterObservation) -> (cluster: PolledCluster, moves: [SlotMove]) {
        let askedAt = o.views.keys.sorted(by: naturalLess)
        for a in o.unreachable.keys { misses[a, default: 0] += 1 }
        for a in askedAt { misses[a] = 0 }
        // Every node, from its own line when it answered, else the first view that lists it.
        var byID: [String: ClusterNode] = [:]
        var order: [String] = []
        for a in askedAt {
            for n in o.views[a] ?? [] {
                if byID[n.id] == nil { order.append(n.id) }
                if byID[n.id] == nil || n.isMyself { byID[n.id] = n }
            }
        }
        misses = misses.filter { entry in byID.values.contains { $0.address == entry.key } || o.unreachable[entry.key] != nil }
        nameShards(byID)

        // Each view's owner of every slot.
        var claims: [[String?]] = []
        var claimViews: [String] = []
        for a in askedAt {
            guard let view = o.views[a] else { continue }
            var owners = [String?](repeating: nil, count: HashSlot.count)
            for n in view where n.isMaster {
                for r in n.slots where r.lowerBound >= 0 && r.upperBound < HashSlot.count {
                    for s in r { owners[s] = n.id }
                }
            }
            claims.append(owners)
            claimViews.append(a)
        }
        // The owner of a slot is the claimant with the highest config epoch
        // (Redis's own rule); views that give it to another disagree.
        var owner = [String?](repeating: nil, count: HashSlot.count)
        var disputed: [Int: Set<String>] = [:]
        for s in 0..<HashSlot.count {
            var best: String?
            var others: Set<String> = []
            for c in claims {
                guard let id = c[s] else { continue }
                if let b = best, b != id {
                    others.insert(b)
                    others.insert(id)
                    if (byID[id]?.configEpoch ?? 0) > (byID[b]?.configEpoch ?? 0) { best = id }
                } else {
                    best = id
                }
            }
            owner[s] = best
            if !others.isEmpty { disputed[s] = others }
        }
        var disagreements: [String] = []
        if !disputed.isEmpty {
            let first = disputed.keys.min() ?? 0
            let sayings = zip(claimViews, claims).compactMap { view, c -> String? in
                c[first].map { "\(view) says \(byID[$0]?.address ?? $0)" }
            }
            disagreements.append(
                "\(disputed.count) slot\(disputed.count == 1 ? "" : "s") owned differently by the nodes' views (slot \(first): \(sayings.joined(separator: ", ")))"
            )
        }
        for id in order {
            var says: [String: [String]] = [:]
            for a in askedAt {
                guard let line = o.views[a]?.first(where: { $0.id == id }) else { continue }
                let word = line.isMaster ? "master" : line.masterID.map { "replica of \(byID[$0]?.address ?? $0)" } ?? "no role"
                says[word, default: []].append(a)
            }
            if says.count > 1 {
                let parts = says.sorted { $0.key < $1.key }.map { "\($0.key) per \($0.value.joined(separator: ", "))" }
                disagreements.append("\(byID[id]?.address ?? id): \(parts.joined(separator: "; "))")
            }
        }
        divergentPolls = disagreements.isEmpty ? 0 : divergentPolls + 1
        // Masters that serve slots, per shard, by the resolved owners: a
        // master whose slots went to another of its shard (a failover just
        // done, its own view not yet updated) is not a second primary.
        var served: [String: Int] = [:]
        for id in owner { if let id { served[id, default: 0] += 1 } }
        var slotsByShard: [String: Int] = [:]
        for (id, count) in served where count > 0 { slotsByShard[shards[id] ?? "", default: 0] += 1 }

        let diverging = divergentPolls >= divergenceAfter

        var nodes: [NodeInfo] = []
        for id in order {
            guard let n = byID[id] else { continue }
            nodes.append(node(n, byID: byID, o: o, served: served[id] ?? 0, servingMasters: slotsByShard[shards[id] ?? ""] ?? 0))
        }

        // The table: one row per slot, in slot order (row i is slot i), and
        // after them a second row for each slot views disagree on for long.
        var partitions: [PartitionAssignment] = []
        partitions.reserveCapacity(HashSlot.count)
        for s in 0..<HashSlot.count {
            partitions.append(PartitionAssignment(id: Int64(s), worker: owner[s].flatMap { byID[$0] }.map(Self.nodeName)))
        }
        if diverging {
            for (s, others) in disputed.sorted(by: { $0.key < $1.key }) {
                for id in others.sorted() where id != owner[s] {
                    partitions.append(PartitionAssignment(id: Int64(s), worker: byID[id].map(Self.nodeName) ?? id))
                }
            }
        }
        if partitions != lastPartitions {
            version += 1
            lastPartitions = partitions
        }

        var moves: [Int: SlotMove] = [:]
        for n in byID.values where n.isMyself {
            for (slot, to) in n.migrating { moves[slot] = SlotMove(slot: slot, from: Self.nodeName(n), to: byID[to].map(Self.nodeName) ?? to) }
            for (slot, from) in n.importing where moves[slot] == nil {
                moves[slot] = SlotMove(slot: slot, from: byID[from].map(Self.nodeName) ?? from, to: Self.nodeName(n))
            }
        }

        let states = askedAt.compactMap { o.clusterInfo[$0]?["cluster_state"] }
        let term = askedAt.compactMap { o.clusterInfo[$0]?.int("cluster_current_epoch") }.max() ?? byID.values.map(\.configEpoch).max() ?? 0
        let info = EngineClusterInfo(
            name: "redis-cluster", version: o.version, lagUnit: "bytes", feed: "polling", accepts: accepts,
            provides: ["roles", "lag", "assignments", "migrations"],
            state: states.isEmpty ? nil : states.contains { $0 != "ok" } ? (states.first { $0 != "ok" } ?? "fail") : "ok",
            divergence: diverging ? disagreements : [])
        let table = AssignmentTable(version: version, strategy: .other("hash_slots"), partitions: partitions)
        let cluster = PolledCluster(name: name, term: term, nodes: nodes, engine: info, assignment: table)
        return (cluster, moves.values.sorted { $0.slot < $1.slot })
    }

    /// How a node is named on screen and on the wire: its address, or its
    /// id while it has none.
    public static func nodeName(_ n: ClusterNode) -> String {
        n.address.isEmpty || n.address.hasPrefix(":") ? "node \(n.id.prefix(8))" : n.address
    }

    /// Shards are named once (`s1`, `s2`… by their first slot) and keep
    /// their name when a replica takes over: a master keeps the name it had,
    /// a replica takes its master's.
    private mutating func nameShards(_ byID: [String: ClusterNode]) {
        let masters = byID.values.filter(\.isMaster).sorted {
            ($0.slots.first?.lowerBound ?? Int.max, $0.address) < ($1.slots.first?.lowerBound ?? Int.max, $1.address)
        }
        for m in masters where shards[m.id] == nil {
            shards[m.id] = "s\(nextShard)"
            nextShard += 1
        }
        for n in byID.values where !n.isMaster {
            if let master = n.masterID, let s = shards[master] {
                shards[n.id] = s
            } else if shards[n.id] == nil {
                shards[n.id] = "s\(nextShard)"
                nextShard += 1
            }
        }
        shards = shards.filter { byID[$0.key] != nil }
    }

    private func node(_ n: ClusterNode, byID: [String: ClusterNode], o: RedisClusterObservation, served: Int, servingMasters: Int) -> NodeInfo {
        let address = n.address
        // What the other nodes say of it (its own line never says fail).
        var othersFail = false
        var othersSuspect = false
        for (a, view) in o.views where a != address {
            guard let line = view.first(where: { $0.id == n.id }) else { continue }
            if line.isFailed { othersFail = true }
            if line.isSuspect { othersSuspect = true }
        }
        let missed = misses[address] ?? 0
        let reachable = o.views[address] != nil
        let info = o.replication[address]
        let linkDown = !n.isMaster && info?["master_link_status"] == "down"
        let health: NodeHealth
        let state: String
        if othersFail || n.isFailed || missed >= unreachableAfter {
            health = .unhealthy
            state = othersFail || n.isFailed ? "fail" : "unreachable"
        } else if othersSuspect || n.isSuspect {
            health = .suspect
            state = "fail?"
        } else if missed > 0 || (!reachable && !o.views.isEmpty) {
            health = .suspect
            state = o.unreachable[address].map { "unreachable: \($0)" } ?? "not asked"
        } else if o.loading.contains(address) {
            health = .degraded
            state = "loading"
        } else if n.flags.contains("handshake") || n.flags.contains("noaddr") {
            health = .suspect
            state = n.flags.contains("handshake") ? "handshake" : "noaddr"
        } else if linkDown {
            health = .degraded
            state = "master link down"
        } else {
            health = .healthy
            state = "connected"
        }
        let shard = shards[n.id]
        let role: NodeRole
        if n.isMaster {
            // A master that serves no slot while another master of its shard
            // serves them (a failed master whose replica took over, one back
            // and about to follow it, one whose own view still lags a
            // failover) is not a second primary.
            let displaced = served == 0 && servingMasters > 0
            role = displaced ? .unknown : .primary
        } else if n.flags.contains("slave") {
            role = .replica
        } else {
            role = .unknown
        }
        var lagBytes: Int64?
        var lagState: LagState?
        var ackAge: Int64?
        if role == .replica {
            lagState = .unknown
            if let master = n.masterID.flatMap({ byID[$0] }), let mInfo = o.replication[master.address],
                let link = mInfo.replicaLinks.first(where: { $0.address == address }), let top = mInfo.int("master_repl_offset")
            {
                lagBytes = max(0, top - link.offset)
                lagState = .measured
                ackAge = link.ackSeconds * 1000
            }
        }
        var tags: [JSONField] = [JSONField("node_id", .string(n.id))]
        if n.isMaster { tags.append(JSONField("slots", .int(Int64(n.slotCount)))) }
        if n.flags.contains("nofailover") { tags.append(JSONField("nofailover", .bool(true))) }
        let engine = EngineNodeInfo(
            role: n.isMaster ? "master" : n.flags.contains("slave") ? "replica" : n.flags.sorted().joined(separator: ","), state: state,
            lagBytes: lagBytes, lagState: lagState, tags: tags, shard: shard, ackAgeMillis: ackAge,
            keys: n.isMaster ? o.keys[address] : nil)
        return NodeInfo(id: Self.nodeName(n), address: address, role: role, health: health, term: n.configEpoch, engine: engine)
    }
}
