/// One client -> server frame.
public enum ClientOp: Sendable, Hashable {
    /// First frame of every connection; `resume` holds the last seq seen per source.
    case subscribe(resume: [String: Int64]?)
    /// Ask for a fresh `cluster.snapshot` (after a gap or a delta mismatch).
    case snapshot
    /// `mode` (extension, optional): how an engine that has several kinds
    /// of failover runs it (Redis Cluster: `force`, `takeover`); a source
    /// that has no such kind refuses a mode rather than ignore it.
    case promote(requestID: String, node: String, mode: String? = nil)
    case migrate(requestID: String, tenant: String, target: String, dryRun: Bool)
    case cancelMigration(requestID: String, migrationID: String)
    /// Extension: the leader of one partition steps down and the engine
    /// elects the next (NATS JetStream: a stream's leader). A v1 server
    /// that does not know it rejects it as an unknown op.
    case stepDown(requestID: String, partition: Int64)

    public var op: String {
        switch self {
        case .subscribe: "subscribe"
        case .snapshot: "snapshot"
        case .promote: "promote"
        case .migrate: "migrate"
        case .cancelMigration: "cancel_migration"
        case .stepDown: "step_down"
        }
    }

    /// The request id of a command (nil for subscribe and snapshot).
    public var requestID: String? {
        switch self {
        case .subscribe, .snapshot: nil
        case .promote(let r, _, _), .migrate(let r, _, _, _), .cancelMigration(let r, _), .stepDown(let r, _): r
        }
    }

    /// Whether the op changes the cluster (needs an `operate` token).
    public var isCommand: Bool { requestID != nil }
}

/// A client frame the server cannot act on, with whatever request id could be read
/// (the server answers `command.result` rejected `invalid_request` with it).
public struct ClientOpError: Error, Sendable, Equatable, CustomStringConvertible {
    public var error: ProtocolError
    public var requestID: String?
    public var op: String?

    public var description: String { error.message }
}

public enum ClientOpCodec {
    public static func decode(_ text: String) throws(ClientOpError) -> ClientOp {
        guard text.utf8.count <= EnvelopeCodec.maxFrameBytes else {
            throw ClientOpError(error: EnvelopeCodec.tooLarge(text.utf8.count), requestID: nil, op: nil)
        }
        let value: JSONValue
        do {
            value = try JSONParser.parse(text)
        } catch {
            throw ClientOpError(error: ProtocolError(.notJSON, "not JSON: \(error)"), requestID: nil, op: nil)
        }
        return try decode(value)
    }

    public static func decode(_ value: JSONValue) throws(ClientOpError) -> ClientOp {
        guard case .object(let o) = value else {
            throw ClientOpError(
                error: ProtocolError(.notAnObject, "a frame must be a JSON object, got \(value.kindName)"),
                requestID: nil, op: nil)
        }
        let requestID = o["request_id"]?.stringValue
        let opName = o["op"]?.stringValue
        do throws(ProtocolError) {
            let op = try FieldReader(o, context: "client frame").string("op")
            let r = FieldReader(o, context: op)
            switch op {
            case "subscribe":
                guard let resume = try r.optionalObject("resume") else { return .subscribe(resume: nil) }
                var seqs: [String: Int64] = [:]
                for f in resume.object.fields {
                    seqs[f.key] = try FieldReader.integer(f.value, key: f.key, reader: resume)
                }
                return .subscribe(resume: seqs)
            case "snapshot":
                return .snapshot
            case "promote":
                return .promote(requestID: try r.string("request_id"), node: try r.string("node"), mode: try r.optionalString("mode"))
            case "migrate":
                return .migrate(
                    requestID: try r.string("request_id"), tenant: try r.string("tenant"),
                    target: try r.string("target"), dryRun: try r.optionalBool("dry_run") ?? false)
            case "cancel_migration":
                return .cancelMigration(requestID: try r.string("request_id"), migrationID: try r.string("migration_id"))
            case "step_down":
                return .stepDown(requestID: try r.string("request_id"), partition: try r.int("partition"))
            default:
                throw ProtocolError(.unknownOp, "unknown op `\(op.prefix(64))`")
            }
        } catch {
            throw ClientOpError(error: error, requestID: requestID, op: opName)
        }
    }

    public static func jsonValue(_ op: ClientOp) -> JSONValue {
        var b = ObjectBuilder()
        b.put("op", op.op)
        switch op {
        case .subscribe(let resume):
            if let resume {
                b.put("resume", .object(JSONObject(resume.sorted { $0.key < $1.key }.map { JSONField($0.key, .int($0.value)) })))
            }
        case .snapshot:
            break
        case .promote(let requestID, let node, let mode):
            b.put("request_id", requestID)
            b.put("node", node)
            if let mode { b.put("mode", mode) }
        case .migrate(let requestID, let tenant, let target, let dryRun):
            b.put("request_id", requestID)
            b.put("tenant", tenant)
            b.put("target", target)
            b.put("dry_run", dryRun)
        case .cancelMigration(let requestID, let migrationID):
            b.put("request_id", requestID)
            b.put("migration_id", migrationID)
        case .stepDown(let requestID, let partition):
            b.put("request_id", requestID)
            b.put("partition", partition)
        }
        return b.value
    }

    public static func encode(_ op: ClientOp) -> String {
        JSONWriter.string(jsonValue(op))
    }
}
