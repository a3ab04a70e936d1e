/// Additive to protocol v1 (docs/PROTOCOL.md, "Engine extensions"): what a
/// real engine (Patroni, …) says beyond the v1 shapes. Every field is
/// optional on the wire; a v1 receiver that does not know them ignores them.

/// A node as its engine describes it (the `engine` field of `Node`).
public struct EngineNodeInfo: WireObject {
    /// The engine's own word for the role: `leader`, `standby_leader`,
    /// `sync_standby`, `replica` (Patroni).
    public var role: String?
    /// The engine's own state: `running`, `streaming`, `starting`, `stopped`, `crashed`…
    public var state: String?
    public var lagBytes: Int64?
    public var lagState: LagState?
    /// The engine's tags as text (`nofailover`, `failover_priority`, …), in wire order.
    public var tags: [JSONField]
    public var pendingRestart: Bool
    /// The replication group the node belongs to, where an engine has
    /// several (Redis Cluster: one per master, named by the master's
    /// address). One primary per shard is normal; two in one shard is split
    /// brain. Nil: the whole cluster is one group.
    public var shard: String?
    /// Milliseconds since the replica's last acknowledgement reached its
    /// master (Redis `lag=`): not data behind, which is `lag_bytes`.
    public var ackAgeMillis: Int64?
    /// Keys the node holds (a master's load).
    public var keys: Int64?
    /// The node it replicates from, where replication is a tree (MySQL's
    /// chains): the Nodes pane shows the tree. Nil: from the primary, or
    /// the engine does not say.
    public var upstream: String?
    /// Where the node's data stands, in the engine's words (a GTID
    /// position): shown, never compared.
    public var position: String?
    /// Time behind, where the engine tells it beside a lag counted in its
    /// own unit (MySQL's `Seconds_Behind_Master` beside transactions):
    /// `measured` with the figure, or `unknown` (never a false 0).
    public var timeBehindMillis: Int64?
    public var timeBehind: LagState?

    public init(
        role: String? = nil, state: String? = nil, lagBytes: Int64? = nil, lagState: LagState? = nil, tags: [JSONField] = [],
        pendingRestart: Bool = false, shard: String? = nil, ackAgeMillis: Int64? = nil, keys: Int64? = nil
    ) {
        self.role = role
        self.state = state
        self.lagBytes = lagBytes
        self.lagState = lagState
        self.tags = tags
        self.pendingRestart = pendingRestart
        self.shard = shard
        self.ackAgeMillis = ackAgeMillis
        self.keys = keys
    }

    public init(from r: FieldReader) throws(ProtocolError) {
        role = try r.optionalString("role")
        state = try r.optionalString("state")
        lagBytes = try r.optionalInt("lag_bytes")
        lagState = try r.optionalWireEnum("lag_state")
        tags = try r.optionalObject("tags")?.object.fields ?? []
        pendingRestart = try r.optionalBool("pending_restart") ?? false
        shard = try r.optionalString("shard")
        ackAgeMillis = try r.optionalInt("ack_age_ms")
        keys = try r.optionalInt("keys")
        upstream = try r.optionalString("upstream")
        position = try r.optionalString("position")
        timeBehindMillis = try r.optionalInt("time_behind_ms")
        timeBehind = try r.optionalWireEnum("time_behind_state")
    }

    public var wireValue: JSONValue {
        var b = ObjectBuilder()
        b.put("role", role)
        b.put("state", state)
        b.put("lag_bytes", lagBytes)
        b.put("lag_state", lagState)
        b.put("tags", .object(JSONObject(tags)))
        b.put("pending_restart", pendingRestart)
        if let shard { b.put("shard", shard) }
        if let ackAgeMillis { b.put("ack_age_ms", ackAgeMillis) }
        if let keys { b.put("keys", keys) }
        if let upstream { b.put("upstream", upstream) }
        if let position { b.put("position", position) }
        if let timeBehindMillis { b.put("time_behind_ms", timeBehindMillis) }
        if let timeBehind { b.put("time_behind_state", timeBehind) }
        return b.value
    }

    /// A tag's value, as text (`true`, `2`), or nil when the node lacks it.
    public func tag(_ name: String) -> String? {
        guard let v = tags.first(where: { $0.key == name })?.value else { return nil }
        switch v {
        case .string(let s): return s
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        case .null, .array, .object: return nil
        }
    }
}

/// `engine.notice` (extension): something the engine announced that no
/// other event carries, in its own words: a Sentinel's `+sdown`, `+odown`,
/// `+try-failover` … `+failover-end`, `+switch-master`. `from` is who said
/// it (a sentinel's address), `kind` the engine's name for it.
public struct EngineNotice: WireObject {
    public var from: String?
    public var node: String?
    public var kind: String
    public var text: String

    public init(from: String?, node: String?, kind: String, text: String) {
        self.from = from
        self.node = node
        self.kind = kind
        self.text = text
    }

    public init(from r: FieldReader) throws(ProtocolError) {
        from = try r.optionalString("from")
        node = try r.optionalString("node")
        kind = try r.string("kind")
        text = try r.optionalString("text") ?? ""
    }

    public var wireValue: JSONValue {
        var b = ObjectBuilder()
        b.put("from", from)
        b.put("node", node)
        b.put("kind", kind)
        b.put("text", text)
        return b.value
    }
}

/// A switchover the engine will run later.
public struct ScheduledSwitchover: WireObject {
    public var at: Timestamp?
    public var from: String?
    public var to: String?

    public init(at: Timestamp?, from: String?, to: String?) {
        self.at = at
        self.from = from
        self.to = to
    }

    public init(from r: FieldReader) throws(ProtocolError) {
        at = try r.optionalTimestamp("at")
        from = try r.optionalString("from")
        to = try r.optionalString("to")
    }

    public var wireValue: JSONValue {
        var b = ObjectBuilder()
        b.put("at", at)
        b.put("from", from)
        b.put("to", to)
        return b.value
    }
}

/// The cluster as its engine describes it: the `engine` field of
/// `cluster.snapshot` and the data of `engine.status`.
public struct EngineClusterInfo: WireObject {
    /// `patroni`, `redis-cluster`, … (`sim` is never sent: v1 as it was).
    public var name: String
    public var version: String?
    /// The unit of lag figures: `ms` (v1's own), or a count: `bytes`
    /// (Patroni), `transactions` (MySQL), `raft entries` (etcd).
    public var lagUnit: String
    /// How changes reach the source: `etcd watch` (push) or `polling`.
    public var feed: String?
    public var paused: Bool
    public var scheduledSwitchover: ScheduledSwitchover?
    /// Patroni's `maximum_lag_on_failover`, in bytes.
    public var maximumLagOnFailover: Int64?
    /// Commands the engine accepts through this source (`promote`, …).
    public var accepts: [String]
    /// What the engine tells of the cluster: `roles`, `lag`, `assignments`,
    /// `migrations` (empty: not said, read as all four). Through a gateway
    /// this is how a dashboard knows that a pane has nothing to show.
    public var provides: [String]
    /// The engine's own verdict on the cluster (Redis `cluster_state`: `ok`,
    /// `fail`); nil when it gives none.
    public var state: String?
    /// Where the engine's nodes (or sentinels) disagree with each other, one
    /// line per disagreement, as the connector found it: the divergence alarm.
    public var divergence: [String]
    /// Redis Sentinel: the quorum (sentinels that must agree the master is
    /// down), the sentinels that answered and see the master up, and the
    /// sentinels known.
    public var quorum: Int64?
    public var witnesses: Int64?
    public var sentinels: Int64?
    /// The watchers known, of whom `witnesses` see the primary (the wire's
    /// `sentinels`), by a name that is no engine's.
    public var watchersKnown: Int64? { sentinels }

    public init(
        name: String, version: String? = nil, lagUnit: String, feed: String? = nil, paused: Bool = false,
        scheduledSwitchover: ScheduledSwitchover? = nil, maximumLagOnFailover: Int64? = nil, accepts: [String] = [],
        provides: [String] = [], state: String? = nil, divergence: [String] = [], quorum: Int64? = nil, witnesses: Int64? = nil,
        sentinels: Int64? = nil
    ) {
        self.quorum = quorum
        self.witnesses = witnesses
        self.sentinels = sentinels
        self.state = state
        self.divergence = divergence
        self.name = name
        self.version = version
        self.lagUnit = lagUnit
        self.feed = feed
        self.paused = paused
        self.scheduledSwitchover = scheduledSwitchover
        self.maximumLagOnFailover = maximumLagOnFailover
        self.accepts = accepts
        self.provides = provides
    }

    public init(from r: FieldReader) throws(ProtocolError) {
        name = try r.string("name")
        version = try r.optionalString("version")
        lagUnit = try r.optionalString("lag_unit") ?? "ms"
        feed = try r.optionalString("feed")
        paused = try r.optionalBool("paused") ?? false
        scheduledSwitchover = try r.optionalObject("scheduled_switchover").map { (s) throws(ProtocolError) in
            try ScheduledSwitchover(from: s)
        }
        maximumLagOnFailover = try r.optionalInt("maximum_lag_on_failover")
        accepts = try r.value("accepts") == nil ? [] : r.array("accepts").compactMap(\.stringValue)
        provides = try r.value("provides") == nil ? [] : r.array("provides").compactMap(\.stringValue)
        state = try r.optionalString("state")
        divergence = try r.value("divergence") == nil ? [] : r.array("divergence").compactMap(\.stringValue)
        quorum = try r.optionalInt("quorum")
        witnesses = try r.optionalInt("witnesses")
        sentinels = try r.optionalInt("sentinels")
    }

    public var wireValue: JSONValue {
        var b = ObjectBuilder()
        b.put("name", name)
        b.put("version", version)
        b.put("lag_unit", lagUnit)
        b.put("feed", feed)
        b.put("paused", paused)
        b.put("scheduled_switchover", scheduledSwitchover?.wireValue ?? .null)
        b.put("maximum_lag_on_failover", maximumLagOnFailover)
        b.put("accepts", .array(accepts.map { .string($0) }))
        if !provides.isEmpty { b.put("provides", .array(provides.map { .string($0) })) }
        if let state { b.put("state", state) }
        if !divergence.isEmpty { b.put("divergence", .array(divergence.map { .string($0) })) }
        if let quorum { b.put("quorum", quorum) }
        if let witnesses { b.put("witnesses", witnesses) }
        if let sentinels { b.put("sentinels", sentinels) }
        return b.value
    }

    /// Whether lag figures count what is behind in the engine's own unit
    /// (`bytes`; `transactions`, MySQL's GTID gap; `raft entries`, etcd's)
    /// rather than time (`ms`, v1's own).
    public var countsLag: Bool { lagUnit != "ms" }
}

/// `replication.lag_bytes` (extension): a lag sample that counts data
/// behind, not time, in the cluster's `lag_unit`: bytes (Patroni, Redis
/// offsets) or transactions (MySQL's GTID gap). The name is from when bytes
/// were the only count.
public struct ReplicationLagBytes: WireObject {
    public var follower: String
    public var leader: String?
    /// Nil unless `state` is `measured`.
    public var lagBytes: Int64?
    public var state: LagState

    public init(follower: String, leader: String?, lagBytes: Int64?, state: LagState) {
        self.follower = follower
        self.leader = leader
        self.lagBytes = lagBytes
        self.state = state
    }

    public init(from r: FieldReader) throws(ProtocolError) {
        follower = try r.string("follower")
        leader = try r.optionalString("leader")
        lagBytes = try r.optionalInt("lag_bytes")
        state = try r.optionalWireEnum("state") ?? (lagBytes == nil ? .unknown : .measured)
    }

    public var wireValue: JSONValue {
        var b = ObjectBuilder()
        b.put("follower", follower)
        b.put("leader", leader)
        b.put("lag_bytes", lagBytes)
        b.put("state", state)
        return b.value
    }
}

/// `node.updated` (extension): what the engine says of a node changed in a
/// way no v1 event carries (its engine state, tags, pending restart).
public struct NodeUpdated: WireObject {
    public var node: NodeInfo

    public init(node: NodeInfo) { self.node = node }

    public init(from r: FieldReader) throws(ProtocolError) {
        node = try NodeInfo(from: r.object("node"))
    }

    public var wireValue: JSONValue {
        var b = ObjectBuilder()
        b.put("node", node.wireValue)
        return b.value
    }
}

/// `failover.history` (extension): the engine's own record of leader
/// changes (Patroni's `/history`: timeline, switch position, reason, time,
/// new leader), sent whole when it grows.
public struct FailoverHistory: WireObject {
    public struct Entry: Sendable, Hashable {
        public var term: Int64
        public var position: Int64?
        public var reason: String?
        public var at: Timestamp?
        public var leader: String?

        public init(term: Int64, position: Int64?, reason: String?, at: Timestamp?, leader: String?) {
            self.term = term
            self.position = position
            self.reason = reason
            self.at = at
            self.leader = leader
        }
    }

    public var entries: [Entry]

    public init(entries: [Entry]) { self.entries = entries }

    public init(from r: FieldReader) throws(ProtocolError) {
        entries = try r.objects("entries") { (e) throws(ProtocolError) in
            Entry(
                term: try e.int("term"), position: try e.optionalInt("position"), reason: try e.optionalString("reason"),
                at: try e.optionalTimestamp("at"), leader: try e.optionalString("leader"))
        }
    }

    public var wireValue: JSONValue {
        .object(
            JSONObject([
                JSONField(
                    "entries",
                    .array(
                        entries.map { e in
                            var b = ObjectBuilder()
                            b.put("term", e.term)
                            b.put("position", e.position)
                            b.put("reason", e.reason)
                            b.put("at", e.at)
                            b.put("leader", e.leader)
                            return b.value
                        }))
            ]))
    }
}
