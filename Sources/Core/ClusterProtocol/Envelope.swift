/// Every event type of protocol v1 with its typed data, plus `unknown` for a
/// type this build does not know (kept raw, shown in the log, never fatal).
public enum Event: Sendable, Hashable {
    case snapshot(ClusterSnapshot)
    case nodeJoined(NodeJoined)
    case nodeLeft(NodeLeft)
    case roleChanged(RoleChanged)
    case healthChanged(HealthChanged)
    case stateChanged(StateChanged)
    case electionStarted(ElectionStarted)
    case leaderElected(LeaderElected)
    case replicationLag(ReplicationLag)
    case followerStatus(FollowerStatus)
    case assignmentPublished(AssignmentPublished)
    case assignmentMoved(AssignmentMoved)
    case migrationStarted(MigrationStarted)
    case migrationProgress(MigrationProgress)
    case migrationCompleted(MigrationCompleted)
    case migrationFailed(MigrationFailed)
    case migrationCancelled(MigrationCancelled)
    case promotionRequested(PromotionRequested)
    case promotionValidated(PromotionValidated)
    case promotionDenied(PromotionDenied)
    case authorityTransferred(AuthorityTransferred)
    case demoted(Demoted)
    case inhibited(FailoverInhibited)
    case stateChangeSuppressed(StateChangeSuppressed)
    case commandResult(CommandResult)
    /// Extension (docs/PROTOCOL.md): a node's periodic sign of life.
    case heartbeat(NodeHeartbeat)
    /// Extensions for real engines (docs/PROTOCOL.md, "Engine extensions").
    case engineStatus(EngineClusterInfo)
    case nodeUpdated(NodeUpdated)
    case replicationLagBytes(ReplicationLagBytes)
    case failoverHistory(FailoverHistory)
    case engineNotice(EngineNotice)
    case unknown(type: String, raw: JSONValue)

    /// Every type name the protocol defines, in the order of the contract's table.
    public static let knownTypes: [String] = [
        "cluster.snapshot", "node.joined", "node.left", "node.role_changed", "node.health_changed",
        "node.state_changed", "election.started", "election.leader_elected", "replication.lag",
        "replication.follower_status", "assignment.published", "assignment.moved", "migration.started",
        "migration.progress", "migration.completed", "migration.failed", "migration.cancelled",
        "failover.promotion_requested", "failover.promotion_validated", "failover.promotion_denied",
        "failover.authority_transferred", "failover.demoted", "failover.inhibited",
        "failover.state_change_suppressed", "command.result",
    ]

    /// Additive extensions of the contract this build speaks (docs/PROTOCOL.md).
    public static let extensionTypes: [String] = [
        "node.heartbeat", "engine.status", "node.updated", "replication.lag_bytes", "failover.history",
    ]

    /// The wire `type`.
    public var type: String {
        switch self {
        case .snapshot: "cluster.snapshot"
        case .nodeJoined: "node.joined"
        case .nodeLeft: "node.left"
        case .roleChanged: "node.role_changed"
        case .healthChanged: "node.health_changed"
        case .stateChanged: "node.state_changed"
        case .electionStarted: "election.started"
        case .leaderElected: "election.leader_elected"
        case .replicationLag: "replication.lag"
        case .followerStatus: "replication.follower_status"
        case .assignmentPublished: "assignment.published"
        case .assignmentMoved: "assignment.moved"
        case .migrationStarted: "migration.started"
        case .migrationProgress: "migration.progress"
        case .migrationCompleted: "migration.completed"
        case .migrationFailed: "migration.failed"
        case .migrationCancelled: "migration.cancelled"
        case .promotionRequested: "failover.promotion_requested"
        case .promotionValidated: "failover.promotion_validated"
        case .promotionDenied: "failover.promotion_denied"
        case .authorityTransferred: "failover.authority_transferred"
        case .demoted: "failover.demoted"
        case .inhibited: "failover.inhibited"
        case .stateChangeSuppressed: "failover.state_change_suppressed"
        case .commandResult: "command.result"
        case .heartbeat: "node.heartbeat"
        case .engineStatus: "engine.status"
        case .nodeUpdated: "node.updated"
        case .replicationLagBytes: "replication.lag_bytes"
        case .failoverHistory: "failover.history"
        case .engineNotice: "engine.notice"
        case .unknown(let type, _): type
        }
    }

    /// Decodes `data` for `type`. An unknown type is kept raw, not rejected.
    public static func decode(type: String, data: JSONValue) throws(ProtocolError) -> Event {
        func r() throws(ProtocolError) -> FieldReader { try FieldReader(data, context: type) }
        switch type {
        case "cluster.snapshot": return .snapshot(try ClusterSnapshot(from: r()))
        case "node.joined": return .nodeJoined(try NodeJoined(from: r()))
        case "node.left": return .nodeLeft(try NodeLeft(from: r()))
        case "node.role_changed": return .roleChanged(try RoleChanged(from: r()))
        case "node.health_changed": return .healthChanged(try HealthChanged(from: r()))
        case "node.state_changed": return .stateChanged(try StateChanged(from: r()))
        case "election.started": return .electionStarted(try ElectionStarted(from: r()))
        case "election.leader_elected": return .leaderElected(try LeaderElected(from: r()))
        case "replication.lag": return .replicationLag(try ReplicationLag(from: r()))
        case "replication.follower_status": return .followerStatus(try FollowerStatus(from: r()))
        case "assignment.published": return .assignmentPublished(try AssignmentPublished(from: r()))
        case "assignment.moved": return .assignmentMoved(try AssignmentMoved(from: r()))
        case "migration.started": return .migrationStarted(try MigrationStarted(from: r()))
        case "migration.progress": return .migrationProgress(try MigrationProgress(from: r()))
        case "migration.completed": return .migrationCompleted(try MigrationCompleted(from: r()))
        case "migration.failed": return .migrationFailed(try MigrationFailed(from: r()))
        case "migration.cancelled": return .migrationCancelled(try MigrationCancelled(from: r()))
        case "failover.promotion_requested": return .promotionRequested(try PromotionRequested(from: r()))
        case "failover.promotion_validated": return .promotionValidated(try PromotionValidated(from: r()))
        case "failover.promotion_denied": return .promotionDenied(try PromotionDenied(from: r()))
        case "failover.authority_transferred": return .authorityTransferred(try AuthorityTransferred(from: r()))
        case "failover.demoted": return .demoted(try Demoted(from: r()))
        case "failover.inhibited": return .inhibited(try FailoverInhibited(from: r()))
        case "failover.state_change_suppressed": return .stateChangeSuppressed(try StateChangeSuppressed(from: r()))
        case "command.result": return .commandResult(try CommandResult(from: r()))
        case "node.heartbeat": return .heartbeat(try NodeHeartbeat(from: r()))
        case "engine.status": return .engineStatus(try EngineClusterInfo(from: r()))
        case "node.updated": return .nodeUpdated(try NodeUpdated(from: r()))
        case "replication.lag_bytes": return .replicationLagBytes(try ReplicationLagBytes(from: r()))
        case "failover.history": return .failoverHistory(try FailoverHistory(from: r()))
        case "engine.notice": return .engineNotice(try EngineNotice(from: r()))
        default: return .unknown(type: type, raw: data)
        }
    }

    /// The wire `data`.
    public var data: JSONValue {
        switch self {
        case .snapshot(let d): d.wireValue
        case .nodeJoined(let d): d.wireValue
        case .nodeLeft(let d): d.wireValue
        case .roleChanged(let d): d.wireValue
        case .healthChanged(let d): d.wireValue
        case .stateChanged(let d): d.wireValue
        case .electionStarted(let d): d.wireValue
        case .leaderElected(let d): d.wireValue
        case .replicationLag(let d): d.wireValue
        case .followerStatus(let d): d.wireValue
        case .assignmentPublished(let d): d.wireValue
        case .assignmentMoved(let d): d.wireValue
        case .migrationStarted(let d): d.wireValue
        case .migrationProgress(let d): d.wireValue
        case .migrationCompleted(let d): d.wireValue
        case .migrationFailed(let d): d.wireValue
        case .migrationCancelled(let d): d.wireValue
        case .promotionRequested(let d): d.wireValue
        case .promotionValidated(let d): d.wireValue
        case .promotionDenied(let d): d.wireValue
        case .authorityTransferred(let d): d.wireValue
        case .demoted(let d): d.wireValue
        case .inhibited(let d): d.wireValue
        case .stateChangeSuppressed(let d): d.wireValue
        case .commandResult(let d): d.wireValue
        case .heartbeat(let d): d.wireValue
        case .engineStatus(let d): d.wireValue
        case .nodeUpdated(let d): d.wireValue
        case .replicationLagBytes(let d): d.wireValue
        case .failoverHistory(let d): d.wireValue
        case .engineNotice(let d): d.wireValue
        case .unknown(_, let raw): raw
        }
    }
}

/// One server -> client frame: the envelope around every event.
public struct Envelope: Sendable, Hashable {
    /// The protocol version the sender claims. Anything but 1 is decoded on a
    /// best-effort basis; `isSupportedVersion` tells the receiver to warn.
    public var version: Int64
    /// Unique; the receiver applies each id once.
    public var id: String
    public var source: String
    /// Per-source sequence, from 1, +1 each event. 0 for `command.result`.
    public var seq: Int64
    public var timestamp: Timestamp
    public var correlationID: String?
    public var causationID: String?
    public var event: Event

    public init(
        version: Int64 = 1, id: String, source: String, seq: Int64, timestamp: Timestamp,
        correlationID: String? = nil, causationID: String? = nil, event: Event
    ) {
        self.version = version
        self.id = id
        self.source = source
        self.seq = seq
        self.timestamp = timestamp
        self.correlationID = correlationID
        self.causationID = causationID
        self.event = event
    }

    public var type: String { event.type }
    public var isSupportedVersion: Bool { version == 1 }
}

/// Decoding and encoding of whole frames.
public enum EnvelopeCodec {
    /// Frames over 4 MiB violate the contract and are refused before parsing.
    public static let maxFrameBytes = 4 * 1024 * 1024

    public static func decode(_ bytes: [UInt8]) throws(ProtocolError) -> Envelope {
        guard bytes.count <= maxFrameBytes else { throw tooLarge(bytes.count) }
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes)
        } catch {
            throw ProtocolError(.notJSON, "not JSON: \(error)")
        }
        return try decode(value)
    }

    public static func decode(_ raw: UnsafeRawBufferPointer) throws(ProtocolError) -> Envelope {
        guard raw.count <= maxFrameBytes else { throw tooLarge(raw.count) }
        let value: JSONValue
        do {
            value = try JSONParser.parse(raw)
        } catch {
            throw ProtocolError(.notJSON, "not JSON: \(error)")
        }
        return try decode(value)
    }

    public static func decode(_ text: String) throws(ProtocolError) -> Envelope {
        guard text.utf8.count <= maxFrameBytes else { throw tooLarge(text.utf8.count) }
        let value: JSONValue
        do {
            value = try JSONParser.parse(text)
        } catch {
            throw ProtocolError(.notJSON, "not JSON: \(error)")
        }
        return try decode(value)
    }

    static func tooLarge(_ n: Int) -> ProtocolError {
        ProtocolError(.frameTooLarge, "frame of \(n) bytes is over the 4 MiB limit; not parsed")
    }

    /// Decodes an already-parsed frame.
    public static func decode(_ value: JSONValue) throws(ProtocolError) -> Envelope {
        guard case .object(let o) = value else {
            throw ProtocolError(.notAnObject, "a frame must be a JSON object, got \(value.kindName)")
        }
        let env = FieldReader(o, context: "envelope")
        let type = try env.string("type")
        let r = FieldReader(o, context: "envelope of", subject: type)
        let version = try r.int("v")
        let id = try r.string("id")
        let source = try r.string("source")
        let seq = try r.int("seq")
        guard seq >= 0 else {
            throw ProtocolError(.invalidValue, "field `seq` in `\(r.context)` must not be negative, got \(seq)")
        }
        let ts = try r.timestamp("ts")
        let correlation = try r.optionalString("correlation_id")
        let causation = try r.optionalString("causation_id")
        let data = o["data"] ?? .null
        let event: Event
        if case .null = data, Event.knownTypes.contains(type) || Event.extensionTypes.contains(type) {
            throw ProtocolError(.missingField, "missing field `data` in `\(type)`")
        } else {
            event = try Event.decode(type: type, data: data)
        }
        return Envelope(
            version: version, id: id, source: source, seq: seq, timestamp: ts, correlationID: correlation,
            causationID: causation, event: event)
    }

    /// The envelope as a JSON value, fields in the contract's order.
    public static func jsonValue(_ e: Envelope) -> JSONValue {
        var b = ObjectBuilder()
        b.put("v", e.version)
        b.put("id", e.id)
        b.put("source", e.source)
        b.put("seq", e.seq)
        b.put("ts", e.timestamp)
        b.put("type", e.type)
        b.put("correlation_id", e.correlationID)
        b.put("causation_id", e.causationID)
        b.put("data", e.event.data)
        return b.value
    }

    public static func encode(_ e: Envelope) -> [UInt8] {
        JSONWriter.bytes(jsonValue(e))
    }

    public static func encodeString(_ e: Envelope) -> String {
        JSONWriter.string(jsonValue(e))
    }
}
