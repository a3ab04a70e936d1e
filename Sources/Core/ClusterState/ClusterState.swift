import ClusterProtocol
import DequeModule

/// The caps that keep every collection of the state bounded.
public struct StateLimits: Sendable, Hashable {
    /// Event ids remembered for de-duplication.
    public var dedupWindow = 65_536
    /// Lag samples kept per follower, and how far back (whichever is smaller).
    public var lagHistorySamples = 600
    public var lagHistoryMillis: Int64 = 600_000
    /// Failover log lines.
    public var logCapacity = 10_000
    /// Promotions kept by request id.
    public var promotions = 256
    /// Command results kept by request id.
    public var commandResults = 1_024
    /// Migrations kept (finished ones are dropped first).
    public var migrations = 512
    /// Nodes that left and are still listed.
    public var departedNodes = 64
    /// Sources whose seq is tracked.
    public var sources = 4_096
    /// Nodes held at most (a flood of made-up node ids must not grow memory).
    public var nodes = 4_096
    /// Recent events kept to be applied again on top of a partial snapshot
    /// (one that covers only some sources: a per-node endpoint's), so that it
    /// never rolls back what the other sources said after it was made.
    public var replayWindow = 2_048

    public init() {}
}

/// Why the receiver must ask for a fresh snapshot.
public enum ResyncReason: Sendable, Hashable, CustomStringConvertible {
    /// Events of `source` were lost: expected `expected`, got `received`.
    case gap(source: String, expected: Int64, received: Int64)
    /// `source` went back in sequence: it restarted (or replays from elsewhere).
    case restart(source: String, last: Int64, received: Int64)
    /// An `assignment.moved` delta built on a version we do not hold.
    case baseVersionMismatch(held: Int64?, base: Int64)

    public var description: String {
        switch self {
        case .gap(let s, let e, let r): "gap from \(s): expected seq \(e), got \(r)"
        case .restart(let s, let l, let r): "\(s) restarted: seq \(r) after \(l)"
        case .baseVersionMismatch(let h, let b):
            "assignment delta on v\(b) but holding \(h.map { "v\($0)" } ?? "none")"
        }
    }
}

/// What `apply` did with an envelope.
public struct ApplyOutcome: Sendable, Hashable {
    public enum Disposition: Sendable, Hashable {
        /// The event changed (or confirmed) the state.
        case applied
        /// Its id was already applied: nothing changed.
        case duplicate
        /// It was older than what the state holds (e.g. a lower assignment version): ignored.
        case stale
    }

    public var disposition: Disposition
    /// Set when the caller should send `{"op":"snapshot"}`.
    public var resync: ResyncReason?
    /// Set when the envelope claims a protocol version other than 1.
    public var versionWarning: Int64?

    public static let applied = ApplyOutcome(disposition: .applied)
    public static let duplicate = ApplyOutcome(disposition: .duplicate)
    public static let stale = ApplyOutcome(disposition: .stale)

    public init(disposition: Disposition, resync: ResyncReason? = nil, versionWarning: Int64? = nil) {
        self.disposition = disposition
        self.resync = resync
        self.versionWarning = versionWarning
    }

    public var needsSnapshot: Bool { resync != nil }
}

/// Counts of what the reducer has seen, for the header and diagnostics.
public struct StateCounters: Sendable, Hashable {
    public var applied: Int = 0
    public var duplicates: Int = 0
    public var stale: Int = 0
    public var gaps: Int = 0
    public var restarts: Int = 0
    public var baseVersionMismatches: Int = 0
    public var unknownTypes: Int = 0
    public var unsupportedVersions: Int = 0
    public var snapshots: Int = 0
}

/// Quorum as the domain defines it: a majority of member nodes healthy and reachable.
public struct QuorumStatus: Sendable, Hashable {
    public var members: Int
    public var serviceable: Int
    /// Set where the engine says how many it takes (its watchers' quorum);
    /// else a majority.
    public var required: Int?

    public init(members: Int, serviceable: Int, required: Int? = nil) {
        self.members = members
        self.serviceable = serviceable
        self.required = required
    }

    public var needed: Int { required ?? members / 2 + 1 }
    public var present: Bool { members > 0 && serviceable >= needed }
}

/// The whole cluster as the dashboard knows it. A value: `apply` is the only way
/// it changes, and the same events always give the same state.
public struct ClusterState: Sendable {
    public let limits: StateLimits

    public internal(set) var clusterName: String?
    /// Highest term seen.
    public internal(set) var term: Int64 = 0
    /// The leader as last announced (snapshot, election or authority transfer).
    public internal(set) var leader: String?
    public internal(set) var nodes: [String: NodeRecord] = [:]
    public internal(set) var followers: [String: FollowerRecord] = [:]
    public internal(set) var assignment: AssignmentState?
    public internal(set) var rebalance: RebalanceInfo?
    public internal(set) var migrations: BoundedDictionary<String, MigrationRecord>
    /// Tenant -> region.
    public internal(set) var tenants: [String: String] = [:]
    public internal(set) var log: Deque<LogEntry> = []
    /// Total lines ever appended to the log (the ring keeps the newest).
    public internal(set) var logAppended: Int = 0
    public internal(set) var promotions: BoundedDictionary<String, PromotionRecord>
    public internal(set) var commandResults: BoundedDictionary<String, CommandResult>
    /// The engine behind the source, as it describes itself; nil for a plain protocol-v1 source.
    public internal(set) var engine: EngineClusterInfo?
    /// The engine's own record of leader changes, oldest first (bounded).
    public internal(set) var engineHistory: [FailoverHistory.Entry] = []
    public internal(set) var inhibitedUntil: Timestamp?
    public internal(set) var inhibitReason: String?
    /// Last seq applied per source.
    var seqTracker: SeqTracker
    public var seqs: [String: Int64] { seqTracker.last }
    /// Timestamp of the newest event applied.
    public internal(set) var lastEventAt: Timestamp?
    /// When the newest event of the sequence (or snapshot) applied happened:
    /// where a lost stretch of history begins.
    var lastSequencedAt: Timestamp?
    /// Stretches of history never received (gaps, snapshots past what was
    /// applied), oldest first, bounded.
    public internal(set) var lostHistory: [LostHistory] = []
    /// Whether a snapshot has been applied since start.
    public internal(set) var hasSnapshot = false
    public internal(set) var counters = StateCounters()
    var seenIDs: RecentIDs
    /// The newest events of the sequence applied, oldest first (bounded by
    /// `limits.replayWindow`): what a partial snapshot applies again.
    var recent: Deque<Envelope> = []
    /// The node the event being applied added, if it added one.
    var addedNode: String?
    /// Orders kept up to date by `apply` (sorted only when membership or
    /// roles change, never per frame).
    var nodeOrder: [String] = []
    var followerOrder: [String] = []
    var presentIDs: Set<String> = []
    var primaryIDs: [String] = []
    /// Primaries per shard (`engine.shard`; "" for an engine with one group).
    var shardPrimaries: [String: [String]] = [:]
    /// Kept up to date by `apply` like the orders: recounted after any event
    /// that can change membership, health or the assignment (never after a
    /// lag sample or a heartbeat), so a frame reads them in O(1).
    var quorumCache = QuorumStatus(members: 0, serviceable: 0)
    var orphanCache = 0
    var followerNameWidthCache = 0

    /// How the engines named on the stream grade their words.
    public let vocabulary: any EngineVocabulary

    public init(limits: StateLimits = StateLimits(), vocabulary: any EngineVocabulary = PlainVocabulary()) {
        self.limits = limits
        self.vocabulary = vocabulary
        self.seenIDs = RecentIDs(capacity: limits.dedupWindow)
        self.migrations = BoundedDictionary(capacity: limits.migrations)
        self.promotions = BoundedDictionary(capacity: limits.promotions)
        self.commandResults = BoundedDictionary(capacity: limits.commandResults)
        self.seqTracker = SeqTracker(capacity: limits.sources)
    }

    // MARK: Derived views

    /// Nodes still in the cluster, primary first, then by name (`node-2` before `node-10`).
    public var orderedNodes: [NodeRecord] {
        nodeOrder.compactMap { nodes[$0] }
    }

    /// Node ids in the nodes pane's order (present first, primary first, then
    /// by name). Views index it for the rows they show instead of building
    /// every record.
    public var nodeIDs: [String] { nodeOrder }

    /// Follower ids by name, for the rows a view shows.
    public var followerIDs: [String] { followerOrder }

    /// The longest follower id, in characters.
    public var followerNameWidth: Int { followerNameWidthCache }

    /// The node table's order: present nodes first, primaries first, then by name.
    static func orderLess(_ a: NodeRecord, _ b: NodeRecord) -> Bool {
        if a.isPresent != b.isPresent { return a.isPresent }
        let ap = a.info.role == .primary
        let bp = b.info.role == .primary
        if ap != bp { return ap }
        return naturalLess(a.id, b.id)
    }

    /// Recomputes the cached orders (after a change of membership or roles).
    mutating func refreshOrders() {
        nodeOrder = nodes.values.sorted(by: ClusterState.orderLess).map(\.id)
        followerOrder = followers.keys.sorted(by: naturalLess)
        presentIDs = Set(nodes.values.filter(\.isPresent).map(\.id))
        primaryIDs = nodeOrder.filter { nodes[$0]?.isPresent == true && nodes[$0]?.info.role == .primary }.sorted(by: naturalLess)
        var shards: [String: [String]] = [:]
        for id in nodeOrder {
            guard let n = nodes[id], n.isPresent else { continue }
            let shard = n.info.engine?.shard ?? ""
            if n.info.role == .primary { shards[shard, default: []].append(id) } else if shards[shard] == nil { shards[shard] = [] }
        }
        shardPrimaries = shards.mapValues { $0.sorted(by: naturalLess) }
    }

    /// Present nodes that claim to be primary (every shard's).
    public var primaries: [String] { primaryIDs }

    /// Two or more primaries at once in one shard (one replication group):
    /// the worst thing the dashboard can show. An engine of shards has one
    /// primary per shard, which is not split brain.
    public var isSplitBrain: Bool { shardPrimaries.values.contains { $0.count > 1 } }

    /// The primaries of the first shard that has more than one.
    public var splitBrainPrimaries: [String] {
        shardPrimaries.keys.sorted(by: naturalLess).lazy.compactMap { self.shardPrimaries[$0] }.first { $0.count > 1 } ?? []
    }

    /// Nodes are known but some shard has no primary.
    public var hasNoPrimary: Bool { !nodes.isEmpty && (primaries.isEmpty || shardPrimaries.values.contains { $0.isEmpty }) }

    /// The shards without a primary (named by `engine.shard`).
    public var shardsWithoutPrimary: [String] { shardPrimaries.filter { $0.value.isEmpty }.keys.sorted(by: naturalLess) }

    /// The primary of `node`'s shard (itself for a primary).
    public func primary(ofShardOf node: String) -> String? {
        shardPrimaries[nodes[node]?.info.engine?.shard ?? ""]?.first
    }

    /// The nodes' majority; for an engine of voting watchers, the watchers
    /// that see the primary against its quorum; for an engine of shards a
    /// majority of its primaries (what a failover there needs).
    public var quorum: QuorumStatus {
        if let e = engine, let q = e.quorum {
            return QuorumStatus(members: Int(e.watchersKnown ?? 0), serviceable: Int(e.witnesses ?? 0), required: Int(q))
        }
        if shardPrimaries.count > 1 || shardPrimaries.keys.contains(where: { !$0.isEmpty }) {
            let masters = primaryIDs.compactMap { nodes[$0] }
            return QuorumStatus(members: masters.count, serviceable: masters.filter(\.servesQuorum).count)
        }
        return quorumCache
    }

    /// Recounts quorum, orphaned partitions and the follower name width.
    mutating func refreshCounts() {
        var members = 0
        var serviceable = 0
        for n in nodes.values where n.isMember {
            members += 1
            if n.servesQuorum { serviceable += 1 }
        }
        quorumCache = QuorumStatus(members: members, serviceable: serviceable)
        orphanCache = assignment?.orphanCount(presentNodes: presentIDs) ?? 0
        followerNameWidthCache = followerOrder.reduce(0) { max($0, $1.count) }
    }

    public var presentNodeIDs: Set<String> { presentIDs }

    /// Partitions with no live owner in the current assignment.
    public var orphanedPartitions: Int {
        orphanCache
    }

    /// Migrations, running ones first, then newest first.
    public var orderedMigrations: [MigrationRecord] {
        migrations.values.sorted { a, b in
            let af = a.info.state.isFinished
            let bf = b.info.state.isFinished
            if af != bf { return !af }
            return (a.info.startedAt ?? Timestamp(millis: 0)) > (b.info.startedAt ?? Timestamp(millis: 0))
        }
    }

    /// Whether failover is inhibited at `now`.
    public func isInhibited(at now: Timestamp) -> Bool {
        guard let until = inhibitedUntil else { return false }
        return now < until
    }

    /// Followers ordered like the nodes pane.
    public var orderedFollowers: [FollowerRecord] {
        followerOrder.compactMap { followers[$0] }
    }
}
