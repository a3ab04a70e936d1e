// The `data` of every event type of protocol v1, one struct each.

/// `cluster.snapshot`: authoritative state that replaces what the receiver held.
public struct ClusterSnapshot: WireObject {
    public var cluster: String
    public var term: Int64
    public var leader: String?
    public var nodes: [NodeInfo]
    public var assignment: AssignmentTable?
    public var migrations: [MigrationInfo]
    public var tenants: [TenantPlacement]
    /// The last seq of every source the snapshot covers.
    public var seqs: [String: Int64]
    /// Extension: the engine behind the source (absent for v1 sources).
    public var engine: EngineClusterInfo?
    /// Extension: the engine's record of leader changes (Patroni's /history).
    public var history: FailoverHistory?

    public init(
        cluster: String, term: Int64, leader: String?, nodes: [NodeInfo], assignment: AssignmentTable?,
        migrations: [MigrationInfo] = [], tenants: [TenantPlacement] = [], seqs: [String: Int64] = [:],
        engine: EngineClusterInfo? = nil, history: FailoverHistory? = nil
    ) {
        self.engine = engine
        self.history = history
        self.cluster = cluster
        self.term = term
        self.leader = leader
        self.nodes = nodes
        self.assignment = assignment
        self.migrations = migrations
        self.tenants = tenants
        self.seqs = seqs
    }

    public init(from r: FieldReader) throws(ProtocolError) {
        cluster = try r.string("cluster")
        term = try r.int("term")
        leader = try r.optionalString("leader")
        nodes = try r.objects("nodes") { (n) throws(ProtocolError) in try NodeInfo(from: n) }
        assignment = try r.optionalObject("assignment").map { (a) throws(ProtocolError) in try AssignmentTable(from: a) }
        migrations =
            try r.value("migrations") == nil
            ? [] : r.objects("migrations") { (m) throws(ProtocolError) in try MigrationInfo(from: m) }
        tenants =
            try r.value("tenants") == nil
            ? [] : r.objects("tenants") { (t) throws(ProtocolError) in try TenantPlacement(from: t) }
        var seqs: [String: Int64] = [:]
        if let s = try r.optionalObject("seqs") {
            for field in s.object.fields {
                seqs[field.key] = try FieldReader.integer(field.value, key: field.key, reader: s)
            }
        }
        self.seqs = seqs
        engine = try r.optionalObject("engine").map { (e) throws(ProtocolError) in try EngineClusterInfo(from: e) }
        history = try r.optionalObject("history").map { (h) throws(ProtocolError) in try FailoverHistory(from: h) }
    }

    public var wireValue: JSONValue {
        var b = ObjectBuilder()
        b.put("cluster", cluster)
        b.put("term", term)
        b.put("leader", leader)
        b.put("nodes", .array(nodes.map(\.wireValue)))
        b.put("assignment", assignment?.wireValue ?? .null)
        b.put("migrations", .array(migrations.map(\.wireValue)))
        b.put("tenants", .array(tenants.map(\.wireValue)))
        b.put("seqs", .object(JSONObject(seqs.sorted { $0.key < $1.key }.map { JSONField($0.key, .int($0.value)) })))
        if let engine { b.put("engine", engine.wireValue) }
        if let history { b.put("history", history.wireValue) }
        return b.value
    }
}

/// `node.joined`
public struct NodeJoined: WireObject {
    public var node: NodeInfo
    public init(node: NodeInfo) { self.node = node }
    public init(from r: FieldReader) throws(ProtocolError) { node = try NodeInfo(from: r.object("node")) }
    public var wireValue: JSONValue { .object(JSONObject([JSONField("node", node.wireValue)])) }
}

/// `node.left`
public struct NodeLeft: WireObject {
    public var node: String
    public var reason: LeaveReason
    public init(node: String, reason: LeaveReason) {
        self.node = node
        self.reason = reason
    }
    public init(from r: FieldReader) throws(ProtocolError) {
        node = try r.string("node")
        reason = try r.wireEnum("reason")
    }
    public var wireValue: JSONValue {
        var b = ObjectBuilder()
        b.put("node", node)
        b.put("reason", reason)
        return b.value
    }
}

/// `node.role_changed`
public struct RoleChanged: WireObject {
    public var node: String
    public var from: NodeRole
    public var to: NodeRole
    public var term: Int64
    public var reason: String?
    public init(node: String, from: NodeRole, to: NodeRole, term: Int64, reason: String?) {
        self.node = node
        self.from = from
        self.to = to
        self.term = term
        self.reason = reason
    }
    public init(from r: FieldReader) throws(ProtocolError) {
        node = try r.string("node")
        from = try r.wireEnum("from")
        to = try r.wireEnum("to")
        term = try r.int("term")
        reason = try r.optionalString("reason")
    }
    public var wireValue: JSONValue {
        var b = ObjectBuilder()
        b.put("node", node)
        b.put("from", from)
        b.put("to", to)
        b.put("term", term)
        b.put("reason", reason)
        return b.value
    }
}

/// `node.health_changed`
public struct HealthChanged: WireObject {
    public var node: String
    public var from: NodeHealth
    public var to: NodeHealth
    public var consecutiveFailures: Int64
    public var detail: String?
    public init(node: String, from: NodeHealth, to: NodeHealth, consecutiveFailures: Int64, detail: String?) {
        self.node = node
        self.from = from
        self.to = to
        self.consecutiveFailures = consecutiveFailures
        self.detail = detail
    }
    public init(from r: FieldReader) throws(ProtocolError) {
        node = try r.string("node")
        from = try r.wireEnum("from")
        to = try r.wireEnum("to")
        consecutiveFailures = try r.optionalInt("consecutive_failures") ?? 0
        detail = try r.optionalString("detail")
    }
    public var wireValue: JSONValue {
        var b = ObjectBuilder()
        b.put("node", node)
        b.put("from", from)
        b.put("to", to)
        b.put("consecutive_failures", consecutiveFailures)
        b.put("detail", detail)
        return b.value
    }
}

/// `node.state_changed`: a worker's manager state (and the leader's calculator).
public struct StateChanged: WireObject {
    public var node: String
    public var from: ManagerState
    public var to: ManagerState
    public var calculatorState: CalculatorState?
    public var reason: RebalanceReason?
    public var windowMillis: Int64?
    public init(
        node: String, from: ManagerState, to: ManagerState, calculatorState: CalculatorState?,
        reason: RebalanceReason?, windowMillis: Int64?
    ) {
        self.node = node
        self.from = from
        self.to = to
        self.calculatorState = calculatorState
        self.reason = reason
        self.windowMillis = windowMillis
    }
    public init(from r: FieldReader) throws(ProtocolError) {
        node = try r.string("node")
        from = try r.wireEnum("from")
        to = try r.wireEnum("to")
        calculatorState = try r.optionalWireEnum("calculator_state")
        reason = try r.optionalWireEnum("reason")
        windowMillis = try r.optionalInt("window_ms")
    }
    public var wireValue: JSONValue {
        var b = ObjectBuilder()
        b.put("node", node)
        b.put("from", from)
        b.put("to", to)
        b.put("calculator_state", calculatorState)
        b.put("reason", reason)
        b.put("window_ms", windowMillis)
        return b.value
    }
}

/// `election.started`
public struct ElectionStarted: WireObject {
    public var term: Int64
    public var candidate: String
    public init(term: Int64, candidate: String) {
        self.term = term
        self.candidate = candidate
    }
    public init(from r: FieldReader) throws(ProtocolError) {
        term = try r.int("term")
        candidate = try r.string("candidate")
    }
    public var wireValue: JSONValue {
        var b = ObjectBuilder()
        b.put("term", term)
        b.put("candidate", candidate)
        return b.value
    }
}

/// `election.leader_elected`
public struct LeaderElected: WireObject {
    public var term: Int64
    public var leader: String
    public var votes: Int64
    public init(term: Int64, leader: String, votes: Int64) {
        self.term = term
        self.leader = leader
        self.votes = votes
    }
    public init(from r: FieldReader) throws(ProtocolError) {
        term = try r.int("term")
        leader = try r.string("leader")
        votes = try r.optionalInt("votes") ?? 0
    }
    public var wireValue: JSONValue {
        var b = ObjectBuilder()
        b.put("term", term)
        b.put("leader", leader)
        b.put("votes", votes)
        return b.value
    }
}
