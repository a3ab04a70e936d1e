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
