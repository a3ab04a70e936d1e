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

    public init(
        cluster: String, term: Int64, leader: String?, nodes: [NodeInfo], assignment: AssignmentTable?,
        migrations: [MigrationInfo] = [], tenants: [TenantPlacement] = [], seqs: [String: Int64] = [:]
    ) {
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
        migrations = try r.value("migrations") == nil
            ? [] : r.objects("migrations") { (m) throws(ProtocolError) in try MigrationInfo(from: m) }
        tenants = try r.value("tenants") == nil
            ? [] : r.objects("tenants") { (t) throws(ProtocolError) in try TenantPlacement(from: t) }
        var seqs: [String: Int64] = [:]
        if let s = try r.optionalObject("seqs") {
            for field in s.object.fields {
                seqs[field.key] = try FieldReader.integer(field.value, key: field.key, reader: s)
            }
        }
        self.seqs = seqs
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

/// `replication.lag`: a periodic sample for one follower.
public struct ReplicationLag: WireObject {
    public var follower: String
    public var leader: String?
    public var lagMillis: Int64
    public var lagEntries: Int64
    public var walPosition: Int64?
    public init(follower: String, leader: String?, lagMillis: Int64, lagEntries: Int64, walPosition: Int64?) {
        self.follower = follower
        self.leader = leader
        self.lagMillis = lagMillis
        self.lagEntries = lagEntries
        self.walPosition = walPosition
    }
    public init(from r: FieldReader) throws(ProtocolError) {
        follower = try r.string("follower")
        leader = try r.optionalString("leader")
        lagMillis = try r.int("lag_ms")
        lagEntries = try r.optionalInt("lag_entries") ?? 0
        walPosition = try r.optionalInt("wal_position")
    }
    public var wireValue: JSONValue {
        var b = ObjectBuilder()
        b.put("follower", follower)
        b.put("leader", leader)
        b.put("lag_ms", lagMillis)
        b.put("lag_entries", lagEntries)
        b.put("wal_position", walPosition)
        return b.value
    }
}

/// `replication.follower_status`
public struct FollowerStatus: WireObject {
    public var follower: String
    public var status: FollowerConnection
    public var since: Timestamp?
    public init(follower: String, status: FollowerConnection, since: Timestamp?) {
        self.follower = follower
        self.status = status
        self.since = since
    }
    public init(from r: FieldReader) throws(ProtocolError) {
        follower = try r.string("follower")
        status = try r.wireEnum("status")
        since = try r.optionalTimestamp("since")
    }
    public var wireValue: JSONValue {
        var b = ObjectBuilder()
        b.put("follower", follower)
        b.put("status", status)
        b.put("since", since)
        return b.value
    }
}

/// `assignment.published`: a full table.
public struct AssignmentPublished: WireObject {
    public var version: Int64
    public var strategy: AssignmentStrategy
    public var reason: RebalanceReason?
    public var partitions: [PartitionAssignment]
    public init(version: Int64, strategy: AssignmentStrategy, reason: RebalanceReason?, partitions: [PartitionAssignment]) {
        self.version = version
        self.strategy = strategy
        self.reason = reason
        self.partitions = partitions
    }
    public init(from r: FieldReader) throws(ProtocolError) {
        version = try r.int("version")
        strategy = try r.wireEnum("strategy")
        reason = try r.optionalWireEnum("reason")
        partitions = try r.objects("partitions") { (p) throws(ProtocolError) in try PartitionAssignment(from: p) }
    }
    public var wireValue: JSONValue {
        var b = ObjectBuilder()
        b.put("version", version)
        b.put("strategy", strategy)
        b.put("reason", reason)
        b.put("partitions", .array(partitions.map(\.wireValue)))
        return b.value
    }
}

/// `assignment.moved`: a delta on top of `baseVersion`.
public struct AssignmentMoved: WireObject {
    public var version: Int64
    public var baseVersion: Int64
    public var moves: [PartitionMove]
    public init(version: Int64, baseVersion: Int64, moves: [PartitionMove]) {
        self.version = version
        self.baseVersion = baseVersion
        self.moves = moves
    }
    public init(from r: FieldReader) throws(ProtocolError) {
        version = try r.int("version")
        baseVersion = try r.int("base_version")
        moves = try r.objects("moves") { (m) throws(ProtocolError) in try PartitionMove(from: m) }
    }
    public var wireValue: JSONValue {
        var b = ObjectBuilder()
        b.put("version", version)
        b.put("base_version", baseVersion)
        b.put("moves", .array(moves.map(\.wireValue)))
        return b.value
    }
}

/// `migration.started`
public struct MigrationStarted: WireObject {
    public var migration: MigrationInfo
    public init(migration: MigrationInfo) { self.migration = migration }
    public init(from r: FieldReader) throws(ProtocolError) { migration = try MigrationInfo(from: r.object("migration")) }
    public var wireValue: JSONValue { .object(JSONObject([JSONField("migration", migration.wireValue)])) }
}

/// `migration.progress`
public struct MigrationProgress: WireObject {
    public var migrationID: String
    public var phase: MigrationPhase?
    public var drainedEntries: Int64
    public var totalEntries: Int64
    public init(migrationID: String, phase: MigrationPhase?, drainedEntries: Int64, totalEntries: Int64) {
        self.migrationID = migrationID
        self.phase = phase
        self.drainedEntries = drainedEntries
        self.totalEntries = totalEntries
    }
    public init(from r: FieldReader) throws(ProtocolError) {
        migrationID = try r.string("migration_id")
        phase = try r.optionalWireEnum("phase")
        drainedEntries = try r.optionalInt("drained_entries") ?? 0
        totalEntries = try r.optionalInt("total_entries") ?? 0
    }
    public var wireValue: JSONValue {
        var b = ObjectBuilder()
        b.put("migration_id", migrationID)
        b.put("phase", phase)
        b.put("drained_entries", drainedEntries)
        b.put("total_entries", totalEntries)
        return b.value
    }
}

/// `migration.completed`
public struct MigrationCompleted: WireObject {
    public var migrationID: String
    public var durationMillis: Int64?
    public init(migrationID: String, durationMillis: Int64?) {
        self.migrationID = migrationID
        self.durationMillis = durationMillis
    }
    public init(from r: FieldReader) throws(ProtocolError) {
        migrationID = try r.string("migration_id")
        durationMillis = try r.optionalInt("duration_ms")
    }
    public var wireValue: JSONValue {
        var b = ObjectBuilder()
        b.put("migration_id", migrationID)
        b.put("duration_ms", durationMillis)
        return b.value
    }
}

/// `migration.failed`
public struct MigrationFailed: WireObject {
    public var migrationID: String
    public var phase: MigrationPhase?
    public var reason: String
    public init(migrationID: String, phase: MigrationPhase?, reason: String) {
        self.migrationID = migrationID
        self.phase = phase
        self.reason = reason
    }
    public init(from r: FieldReader) throws(ProtocolError) {
        migrationID = try r.string("migration_id")
        phase = try r.optionalWireEnum("phase")
        reason = try r.optionalString("reason") ?? "unknown"
    }
    public var wireValue: JSONValue {
        var b = ObjectBuilder()
        b.put("migration_id", migrationID)
        b.put("phase", phase)
        b.put("reason", reason)
        return b.value
    }
}

/// `migration.cancelled`
public struct MigrationCancelled: WireObject {
    public var migrationID: String
    public var by: String?
    public init(migrationID: String, by: String?) {
        self.migrationID = migrationID
        self.by = by
    }
    public init(from r: FieldReader) throws(ProtocolError) {
        migrationID = try r.string("migration_id")
        by = try r.optionalString("by")
    }
    public var wireValue: JSONValue {
        var b = ObjectBuilder()
        b.put("migration_id", migrationID)
        b.put("by", by)
        return b.value
    }
}

/// `failover.promotion_requested`
public struct PromotionRequested: WireObject {
    public var requestID: String
    public var candidate: String
    public var requestedBy: String?
    public init(requestID: String, candidate: String, requestedBy: String?) {
        self.requestID = requestID
        self.candidate = candidate
        self.requestedBy = requestedBy
    }
    public init(from r: FieldReader) throws(ProtocolError) {
        requestID = try r.string("request_id")
        candidate = try r.string("candidate")
        requestedBy = try r.optionalString("requested_by")
    }
    public var wireValue: JSONValue {
        var b = ObjectBuilder()
        b.put("request_id", requestID)
        b.put("candidate", candidate)
        b.put("requested_by", requestedBy)
        return b.value
    }
}

/// `failover.promotion_validated`: every check the validator ran.
public struct PromotionValidated: WireObject {
    public var requestID: String
    public var candidate: String
    public var checks: [ValidationCheck]
    public init(requestID: String, candidate: String, checks: [ValidationCheck]) {
        self.requestID = requestID
        self.candidate = candidate
        self.checks = checks
    }
    public init(from r: FieldReader) throws(ProtocolError) {
        requestID = try r.string("request_id")
        candidate = try r.string("candidate")
        checks = try r.objects("checks") { (c) throws(ProtocolError) in try ValidationCheck(from: c) }
    }
    public var wireValue: JSONValue {
        var b = ObjectBuilder()
        b.put("request_id", requestID)
        b.put("candidate", candidate)
        b.put("checks", .array(checks.map(\.wireValue)))
        return b.value
    }
}

/// `failover.promotion_denied`
public struct PromotionDenied: WireObject {
    public var requestID: String
    public var candidate: String
    public var reasons: [DenialReason]
    public init(requestID: String, candidate: String, reasons: [DenialReason]) {
        self.requestID = requestID
        self.candidate = candidate
        self.reasons = reasons
    }
    public init(from r: FieldReader) throws(ProtocolError) {
        requestID = try r.string("request_id")
        candidate = try r.string("candidate")
        reasons = try r.objects("reasons") { (c) throws(ProtocolError) in try DenialReason(from: c) }
    }
    public var wireValue: JSONValue {
        var b = ObjectBuilder()
        b.put("request_id", requestID)
        b.put("candidate", candidate)
        b.put("reasons", .array(reasons.map(\.wireValue)))
        return b.value
    }
}

/// `failover.authority_transferred`
public struct AuthorityTransferred: WireObject {
    public var requestID: String?
    public var oldPrimary: String?
    public var newPrimary: String
    public var term: Int64
    public init(requestID: String?, oldPrimary: String?, newPrimary: String, term: Int64) {
        self.requestID = requestID
        self.oldPrimary = oldPrimary
        self.newPrimary = newPrimary
        self.term = term
    }
    public init(from r: FieldReader) throws(ProtocolError) {
        requestID = try r.optionalString("request_id")
        oldPrimary = try r.optionalString("old_primary")
        newPrimary = try r.string("new_primary")
        term = try r.int("term")
    }
    public var wireValue: JSONValue {
        var b = ObjectBuilder()
        b.put("request_id", requestID)
        b.put("old_primary", oldPrimary)
        b.put("new_primary", newPrimary)
        b.put("term", term)
        return b.value
    }
}

/// `failover.demoted`
public struct Demoted: WireObject {
    public var node: String
    public var cause: DemotionCause
    public var term: Int64
    public init(node: String, cause: DemotionCause, term: Int64) {
        self.node = node
        self.cause = cause
        self.term = term
    }
    public init(from r: FieldReader) throws(ProtocolError) {
        node = try r.string("node")
        cause = try r.wireEnum("cause")
        term = try r.int("term")
    }
    public var wireValue: JSONValue {
        var b = ObjectBuilder()
        b.put("node", node)
        b.put("cause", cause)
        b.put("term", term)
        return b.value
    }
}

/// `failover.inhibited`: no failover until `until`.
public struct FailoverInhibited: WireObject {
    public var until: Timestamp
    public var reason: String?
    public init(until: Timestamp, reason: String?) {
        self.until = until
        self.reason = reason
    }
    public init(from r: FieldReader) throws(ProtocolError) {
        until = try r.timestamp("until")
        reason = try r.optionalString("reason")
    }
    public var wireValue: JSONValue {
        var b = ObjectBuilder()
        b.put("until", until)
        b.put("reason", reason)
        return b.value
    }
}

/// `failover.state_change_suppressed`: an idempotent repeat; nothing changed.
public struct StateChangeSuppressed: WireObject {
    public var node: String
    public var state: String
    public init(node: String, state: String) {
        self.node = node
        self.state = state
    }
    public init(from r: FieldReader) throws(ProtocolError) {
        node = try r.string("node")
        state = try r.string("state")
    }
    public var wireValue: JSONValue {
        var b = ObjectBuilder()
        b.put("node", node)
        b.put("state", state)
        return b.value
    }
}

/// `command.result`: exactly one per command, to the connection that sent it.
public struct CommandResult: WireObject {
    /// Null when the request id could not be read from a malformed frame.
    public var requestID: String?
    public var op: String?
    public var status: CommandStatus
    public var reason: String?
    public init(requestID: String?, op: String?, status: CommandStatus, reason: String?) {
        self.requestID = requestID
        self.op = op
        self.status = status
        self.reason = reason
    }
    public init(from r: FieldReader) throws(ProtocolError) {
        requestID = try r.optionalString("request_id")
        op = try r.optionalString("op")
        status = try r.wireEnum("status")
        reason = try r.optionalString("reason")
    }
    public var wireValue: JSONValue {
        var b = ObjectBuilder()
        b.put("request_id", requestID)
        b.put("op", op)
        b.put("status", status)
        b.put("reason", reason)
        return b.value
    }
}

/// `node.heartbeat` (extension): sent by every node about once a second, so a
/// silent node is noticed even when nothing else happens.
public struct NodeHeartbeat: WireObject {
    public var node: String
    public var role: NodeRole
    public var health: NodeHealth
    public var term: Int64
    /// The assignment version the node works from (optional).
    public var assignmentVersion: Int64?
    public init(node: String, role: NodeRole, health: NodeHealth, term: Int64, assignmentVersion: Int64? = nil) {
        self.node = node
        self.role = role
        self.health = health
        self.term = term
        self.assignmentVersion = assignmentVersion
    }
    public init(from r: FieldReader) throws(ProtocolError) {
        node = try r.string("node")
        role = try r.wireEnum("role")
        health = try r.wireEnum("health")
        term = try r.int("term")
        assignmentVersion = try r.optionalInt("assignment_version")
    }
    public var wireValue: JSONValue {
        var b = ObjectBuilder()
        b.put("node", node)
        b.put("role", role)
        b.put("health", health)
        b.put("term", term)
        b.put("assignment_version", assignmentVersion)
        return b.value
    }
}
