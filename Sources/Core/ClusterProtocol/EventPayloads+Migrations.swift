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
