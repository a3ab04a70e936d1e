/// A value of the contract that reads itself from a JSON object and writes itself back.
public protocol WireObject: Sendable, Hashable {
    init(from reader: FieldReader) throws(ProtocolError)
    var wireValue: JSONValue { get }
}

/// The `Node` shape: one node as the cluster describes it.
public struct NodeInfo: WireObject {
    public var id: String
    public var address: String?
    public var region: String?
    public var role: NodeRole
    public var health: NodeHealth
    public var term: Int64
    public var managerState: ManagerState
    /// Only on the leader that runs the assignment calculator.
    public var calculatorState: CalculatorState?
    public var lagMillis: Int64?
    public var lastHeartbeat: Timestamp?
    /// Extension: what a real engine says of the node (absent for v1 sources).
    public var engine: EngineNodeInfo?

    public init(
        id: String, address: String? = nil, region: String? = nil, role: NodeRole, health: NodeHealth = .healthy,
        term: Int64, managerState: ManagerState = .stable, calculatorState: CalculatorState? = nil,
        lagMillis: Int64? = nil, lastHeartbeat: Timestamp? = nil, engine: EngineNodeInfo? = nil
    ) {
        self.engine = engine
        self.id = id
        self.address = address
        self.region = region
        self.role = role
        self.health = health
        self.term = term
        self.managerState = managerState
        self.calculatorState = calculatorState
        self.lagMillis = lagMillis
        self.lastHeartbeat = lastHeartbeat
    }

    public init(from r: FieldReader) throws(ProtocolError) {
        id = try r.string("id")
        address = try r.optionalString("address")
        region = try r.optionalString("region")
        role = try r.wireEnum("role")
        health = try r.wireEnum("health")
        term = try r.int("term")
        managerState = try r.wireEnum("manager_state")
        calculatorState = try r.optionalWireEnum("calculator_state")
        lagMillis = try r.optionalInt("lag_ms")
        lastHeartbeat = try r.optionalTimestamp("last_heartbeat")
        engine = try r.optionalObject("engine").map { (e) throws(ProtocolError) in try EngineNodeInfo(from: e) }
    }

    public var wireValue: JSONValue {
        var b = ObjectBuilder()
        b.put("id", id)
        b.put("address", address)
        b.put("region", region)
        b.put("role", role)
        b.put("health", health)
        b.put("term", term)
        b.put("manager_state", managerState)
        b.put("calculator_state", calculatorState)
        b.put("lag_ms", lagMillis)
        b.put("last_heartbeat", lastHeartbeat)
        if let engine { b.put("engine", engine.wireValue) }
        return b.value
    }
}

/// The `Migration` shape: one tenant migration.
public struct MigrationInfo: WireObject {
    public var migrationID: String
    public var tenant: String
    public var source: String
    public var target: String
    public var state: MigrationStatus
    public var phase: MigrationPhase?
    public var drainedEntries: Int64
    public var totalEntries: Int64
    public var dryRun: Bool
    public var startedAt: Timestamp?

    public init(
        migrationID: String, tenant: String, source: String, target: String, state: MigrationStatus,
        phase: MigrationPhase?, drainedEntries: Int64 = 0, totalEntries: Int64 = 0, dryRun: Bool = false,
        startedAt: Timestamp?
    ) {
        self.migrationID = migrationID
        self.tenant = tenant
        self.source = source
        self.target = target
        self.state = state
        self.phase = phase
        self.drainedEntries = drainedEntries
        self.totalEntries = totalEntries
        self.dryRun = dryRun
        self.startedAt = startedAt
    }

    public init(from r: FieldReader) throws(ProtocolError) {
        migrationID = try r.string("migration_id")
        tenant = try r.string("tenant")
        source = try r.string("source")
        target = try r.string("target")
        state = try r.wireEnum("state")
        phase = try r.optionalWireEnum("phase")
        drainedEntries = try r.optionalInt("drained_entries") ?? 0
        totalEntries = try r.optionalInt("total_entries") ?? 0
        dryRun = try r.optionalBool("dry_run") ?? false
        startedAt = try r.optionalTimestamp("started_at")
    }

    public var wireValue: JSONValue {
        var b = ObjectBuilder()
        b.put("migration_id", migrationID)
        b.put("tenant", tenant)
        b.put("source", source)
        b.put("target", target)
        b.put("state", state)
        b.put("phase", phase)
        b.put("drained_entries", drainedEntries)
        b.put("total_entries", totalEntries)
        b.put("dry_run", dryRun)
        b.put("started_at", startedAt)
        return b.value
    }
}

/// One row of an assignment table: partition -> worker (null: orphaned).
public struct PartitionAssignment: WireObject {
    /// Partition ids are non-negative integers (docs/PROTOCOL.md).
    public var id: Int64
    public var worker: String?
    /// Relative load; 1 when the sender gives none.
    public var weight: Double
    /// Extension: the engine's own name for the partition, where it has one
    /// (a NATS stream's `APP > ORDERS`); left out when absent.
    public var name: String?

    public init(id: Int64, worker: String?, weight: Double = 1, name: String? = nil) {
        self.id = id
        self.worker = worker
        self.weight = weight
        self.name = name
    }

    public init(from r: FieldReader) throws(ProtocolError) {
        id = try r.int("id")
        worker = try r.optionalString("worker")
        weight = try r.optionalDouble("weight") ?? 1
        name = try r.optionalString("name")
    }

    public var wireValue: JSONValue {
        var b = ObjectBuilder()
        b.put("id", id)
        b.put("worker", worker)
        b.put("weight", weight)
        if let name { b.put("name", name) }
        return b.value
    }
}

/// The assignment held in a snapshot.
public struct AssignmentTable: WireObject {
    public var version: Int64
    public var strategy: AssignmentStrategy
    public var partitions: [PartitionAssignment]

    public init(version: Int64, strategy: AssignmentStrategy, partitions: [PartitionAssignment]) {
        self.version = version
        self.strategy = strategy
        self.partitions = partitions
    }

    public init(from r: FieldReader) throws(ProtocolError) {
        version = try r.int("version")
        strategy = try r.wireEnum("strategy")
        partitions = try r.objects("partitions") { (p) throws(ProtocolError) in try PartitionAssignment(from: p) }
    }

    public var wireValue: JSONValue {
        var b = ObjectBuilder()
        b.put("version", version)
        b.put("strategy", strategy)
        b.put("partitions", .array(partitions.map(\.wireValue)))
        return b.value
    }
}

/// Where a tenant lives.
public struct TenantPlacement: WireObject {
    public var tenant: String
    public var region: String

    public init(tenant: String, region: String) {
        self.tenant = tenant
        self.region = region
    }

    public init(from r: FieldReader) throws(ProtocolError) {
        tenant = try r.string("tenant")
        region = try r.string("region")
    }

    public var wireValue: JSONValue {
        var b = ObjectBuilder()
        b.put("tenant", tenant)
        b.put("region", region)
        return b.value
    }
}

/// One partition moved by an `assignment.moved` delta.
public struct PartitionMove: WireObject {
    public var partition: Int64
    public var from: String?
    public var to: String?

    public init(partition: Int64, from: String?, to: String?) {
        self.partition = partition
        self.from = from
        self.to = to
    }

    public init(from r: FieldReader) throws(ProtocolError) {
        partition = try r.int("partition")
        from = try r.optionalString("from")
        to = try r.optionalString("to")
    }

    public var wireValue: JSONValue {
        var b = ObjectBuilder()
        b.put("partition", partition)
        b.put("from", from)
        b.put("to", to)
        return b.value
    }
}

/// One validator check in `failover.promotion_validated`.
public struct ValidationCheck: WireObject {
    public var invariant: Invariant
    public var ok: Bool
    public var detail: String?

    public init(invariant: Invariant, ok: Bool, detail: String?) {
        self.invariant = invariant
        self.ok = ok
        self.detail = detail
    }

    public init(from r: FieldReader) throws(ProtocolError) {
        invariant = try r.wireEnum("invariant")
        ok = try r.bool("ok")
        detail = try r.optionalString("detail")
    }

    public var wireValue: JSONValue {
        var b = ObjectBuilder()
        b.put("invariant", invariant)
        b.put("ok", ok)
        b.put("detail", detail)
        return b.value
    }
}

/// One reason in `failover.promotion_denied`.
public struct DenialReason: WireObject {
    public var invariant: Invariant
    public var detail: String?

    public init(invariant: Invariant, detail: String?) {
        self.invariant = invariant
        self.detail = detail
    }

    public init(from r: FieldReader) throws(ProtocolError) {
        invariant = try r.wireEnum("invariant")
        detail = try r.optionalString("detail")
    }

    public var wireValue: JSONValue {
        var b = ObjectBuilder()
        b.put("invariant", invariant)
        b.put("detail", detail)
        return b.value
    }
}
