import ClusterProtocol

/// Reads nats-server's monitoring and JetStream API answers: strict where a
/// wrong answer would mislead (not JSON, a report without a server name),
/// tolerant of fields a version leaves out (`lag` and `offline` are left out
/// when 0 and false). Numbers past Int64 (`reserved_memory` is uint64 -1)
/// are clamped, never trapped on.
public enum JetStreamParse {
    static func object(_ body: [UInt8], _ what: String) throws(JetStreamParseError) -> JSONObject {
        let value: JSONValue
        do {
            value = try JSONParser.parse(body)
        } catch {
            let start = String(decoding: body.prefix(40), as: UTF8.self).filter { !$0.isNewline }
            throw JetStreamParseError("\(what) is not JSON (starts \"\(start)\")")
        }
        guard case .object(let o) = value else { throw JetStreamParseError("\(what) is not a JSON object") }
        return o
    }

    static func int(_ v: JSONValue?) -> Int64? {
        switch v {
        case .int(let i)?: i
        case .double(let d)? where d.isFinite: d >= 9.2e18 ? Int64.max : d <= -9.2e18 ? Int64.min : Int64(d)
        default: nil
        }
    }

    static func uint(_ v: JSONValue?) -> UInt64 { int(v).map { $0 < 0 ? 0 : UInt64($0) } ?? 0 }

    static func strings(_ v: JSONValue?) -> [String] {
        guard case .array(let list)? = v else { return [] }
        return list.compactMap(\.stringValue)
    }

    /// The API error an answer carries, if it is one.
    public static func apiError(_ body: [UInt8]) -> JetStreamAPIError? {
        guard let o = try? object(body, "answer"), let e = o["error"]?.objectValue else { return nil }
        return JetStreamAPIError(code: int(e["code"]) ?? 0, errCode: int(e["err_code"]) ?? 0, text: e["description"]?.stringValue ?? "error")
    }

    static func peer(_ v: JSONValue) -> JetStreamPeer? {
        guard let p = v.objectValue, let name = p["name"]?.stringValue else { return nil }
        return JetStreamPeer(
            name: name, current: p["current"] == .bool(true), activeNanos: int(p["active"]), lag: uint(p["lag"]),
            offline: p["offline"] == .bool(true))
    }

    static func group(_ v: JSONValue?) -> JetStreamGroup? {
        guard let c = v?.objectValue else { return nil }
        let replicas: [JetStreamPeer] = if case .array(let list)? = c["replicas"] { list.compactMap(peer) } else { [] }
        return JetStreamGroup(leader: c["leader"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }, replicas: replicas)
    }

    static func stream(_ s: JSONObject, account: String) -> JetStreamStream? {
        let config = s["config"]?.objectValue
        guard let name = s["name"]?.stringValue ?? config?["name"]?.stringValue else { return nil }
        let state = s["state"]?.objectValue
        return JetStreamStream(
            account: account, name: name, group: group(s["cluster"]), numReplicas: int(config?["num_replicas"]).map { Int(clamping: $0) },
            placementTags: strings(config?["placement"]?.objectValue?["tags"]), messages: uint(state?["messages"]),
            bytes: uint(state?["bytes"]), lastSeq: uint(state?["last_seq"]))
    }

    /// One reply to `$SYS.REQ.SERVER.PING.JSZ` (`{"server":{…},"data":{…}}`).
    public static func serverReport(_ body: [UInt8]) throws(JetStreamParseError) -> JetStreamServerReport {
        let o = try object(body, "JSZ")
        guard let server = o["server"]?.objectValue, let name = server["name"]?.stringValue, !name.isEmpty else {
            throw JetStreamParseError("JSZ has no server.name")
        }
        guard let data = o["data"]?.objectValue else {
            if let e = o["error"]?.objectValue?["description"]?.stringValue { throw JetStreamParseError("JSZ from \(name): \(e)") }
            throw JetStreamParseError("JSZ from \(name) has no data")
        }
        var streams: [JetStreamStream] = []
        if case .array(let accounts)? = data["account_details"] {
            for case .object(let a) in accounts {
                let account = a["name"]?.stringValue ?? a["id"]?.stringValue ?? ""
                guard case .array(let list)? = a["stream_detail"] else { continue }
                for case .object(let s) in list {
                    if let stream = stream(s, account: account) { streams.append(stream) }
                }
            }
        }
        let metaObject = data["meta_cluster"]?.objectValue
        return JetStreamServerReport(
            name: name, id: server["id"]?.stringValue ?? "", version: server["ver"]?.stringValue ?? "", tags: strings(server["tags"]),
            cluster: server["cluster"]?.stringValue, meta: group(data["meta_cluster"]),
            clusterSize: int(metaObject?["cluster_size"]).map { Int(clamping: $0) }, streams: streams, storageBytes: int(data["storage"]) ?? 0,
            memoryBytes: int(data["memory"]) ?? 0)
    }

    /// The cluster's other servers a server's INFO names (`connect_urls`, `host:port`).
    public static func connectURLs(_ info: [UInt8]) -> [String] {
        guard let o = try? object(info, "INFO") else { return [] }
        return strings(o["connect_urls"])
    }

    /// One reply to `$SYS.REQ.SERVER.PING.HEALTHZ`.
    public static func health(_ body: [UInt8]) throws(JetStreamParseError) -> JetStreamHealth {
        let o = try object(body, "HEALTHZ")
        guard let name = o["server"]?.objectValue?["name"]?.stringValue, let data = o["data"]?.objectValue else {
            throw JetStreamParseError("HEALTHZ has no server.name or data")
        }
        let status = data["status"]?.stringValue ?? ""
        return JetStreamHealth(server: name, problem: status == "ok" ? nil : (data["error"]?.stringValue ?? (status.isEmpty ? "no status" : status)))
    }

    /// `$JS.API.STREAM.NAMES`'s answer: the names, and the total the server has.
    public static func streamNames(_ body: [UInt8]) throws(JetStreamParseError) -> (names: [String], total: Int) {
        let o = try object(body, "STREAM.NAMES")
        if let e = apiError(body) { throw JetStreamParseError("STREAM.NAMES: \(e)") }
        let names = strings(o["streams"])
        return (names, Int(clamping: int(o["total"]) ?? Int64(names.count)))
    }

    /// `$JS.API.STREAM.INFO.<name>`'s answer, for the account asking.
    public static func streamInfo(_ body: [UInt8], account: String) throws(JetStreamParseError) -> JetStreamStream {
        let o = try object(body, "STREAM.INFO")
        if let e = apiError(body) { throw JetStreamParseError("STREAM.INFO: \(e)") }
        guard let s = stream(o, account: account) else { throw JetStreamParseError("STREAM.INFO has no config.name") }
        return s
    }

    /// The `config` object of `STREAM.INFO`'s answer, every field kept (a
    /// `STREAM.UPDATE` sends it back changed in one).
    public static func streamConfig(_ body: [UInt8]) throws(JetStreamParseError) -> JSONObject {
        let o = try object(body, "STREAM.INFO")
        if let e = apiError(body) { throw JetStreamParseError("STREAM.INFO: \(e)") }
        guard let config = o["config"]?.objectValue, config["name"]?.stringValue != nil else {
            throw JetStreamParseError("STREAM.INFO has no config with a name")
        }
        return config
    }

    /// A pushed message the console acts on; nil for any other.
    public static func advisory(subject: String, _ body: [UInt8]) -> JetStreamAdvisory? {
        if subject.hasPrefix("$SYS.SERVER."), subject.hasSuffix(".SHUTDOWN") {
            guard let o = try? object(body, "SHUTDOWN"), let name = o["name"]?.stringValue ?? o["server"]?.objectValue?["name"]?.stringValue
            else { return nil }
            return .serverShutdown(server: name)
        }
        guard subject.hasPrefix("$JS.EVENT.ADVISORY.STREAM."), let o = try? object(body, "advisory"),
            let type = o["type"]?.stringValue, let stream = o["stream"]?.stringValue
        else { return nil }
        let account = o["account"]?.stringValue
        switch type {
        case "io.nats.jetstream.advisory.v1.stream_leader_elected":
            guard let leader = o["leader"]?.stringValue else { return nil }
            return .leaderElected(account: account, stream: stream, leader: leader)
        case "io.nats.jetstream.advisory.v1.stream_quorum_lost":
            return .quorumLost(account: account, stream: stream)
        default:
            return nil
        }
    }
}
