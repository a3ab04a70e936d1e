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
