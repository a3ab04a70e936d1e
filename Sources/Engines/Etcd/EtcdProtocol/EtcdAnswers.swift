import ClusterProtocol

/// A member's own status (`POST /v3/maintenance/status`, answered by the
/// member asked). IDs are 64-bit: decimal strings on the HTTP gateway.
public struct EtcdStatus: Sendable, Hashable {
    public var memberID: UInt64
    /// The cluster's ID (nil when not said).
    public var clusterID: UInt64?
    /// The leader this member follows; nil while it knows none (an election).
    public var leader: UInt64?
    public var raftTerm: UInt64
    public var raftIndex: UInt64
    /// Nil on servers that do not say (before 3.4).
    public var raftAppliedIndex: UInt64?
    public var dbSize: Int64
    public var dbSizeInUse: Int64?
    public var version: String
    public var isLearner: Bool
    /// Alarms as the member words them (`memberID:… alarm:NOSPACE `).
    public var errors: [String]

    public init(
        memberID: UInt64, leader: UInt64?, raftTerm: UInt64, raftIndex: UInt64, raftAppliedIndex: UInt64? = nil, dbSize: Int64 = 0,
        dbSizeInUse: Int64? = nil, version: String = "", isLearner: Bool = false, errors: [String] = []
    ) {
        self.memberID = memberID
        self.clusterID = nil
        self.leader = leader
        self.raftTerm = raftTerm
        self.raftIndex = raftIndex
        self.raftAppliedIndex = raftAppliedIndex
        self.dbSize = dbSize
        self.dbSizeInUse = dbSizeInUse
        self.version = version
        self.isLearner = isLearner
        self.errors = errors
    }
}

/// One member of `POST /v3/cluster/member/list`. A member added but not
/// started has no name and no client URLs.
public struct EtcdMember: Sendable, Hashable {
    public var id: UInt64
    public var name: String
    public var peerURLs: [String]
    public var clientURLs: [String]
    public var isLearner: Bool

    public init(id: UInt64, name: String, peerURLs: [String] = [], clientURLs: [String] = [], isLearner: Bool = false) {
        self.id = id
        self.name = name
        self.peerURLs = peerURLs
        self.clientURLs = clientURLs
        self.isLearner = isLearner
    }

    /// The ID as etcdctl and the metrics write it (hex).
    public var hexID: String { String(id, radix: 16) }
    /// Started: it has joined (a name and a client URL).
    public var isStarted: Bool { !name.isEmpty }
    /// The node's name on screen: its name, or its hex ID while unstarted.
    public var nodeID: String { name.isEmpty ? hexID : name }
}

/// An active alarm (`POST /v3/maintenance/alarm`).
public struct EtcdAlarm: Sendable, Hashable {
    public var memberID: UInt64
    /// `NOSPACE`, `CORRUPT`.
    public var alarm: String

    public init(memberID: UInt64, alarm: String) {
        self.memberID = memberID
        self.alarm = alarm
    }
}

/// Why an etcd answer could not be read, in words for the endpoint status.
public struct EtcdParseError: Error, Sendable, Hashable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Reads etcd's HTTP gateway answers: strict where a wrong answer would
/// mislead (not JSON, an ID that is not a 64-bit number), tolerant of
/// fields a version leaves out.
public enum EtcdParse {
    static func object(_ body: [UInt8], _ what: String) throws(EtcdParseError) -> JSONObject {
        let value: JSONValue
        do {
            value = try JSONParser.parse(body)
        } catch {
            let start = String(decoding: body.prefix(40), as: UTF8.self).filter { !$0.isNewline }
            throw EtcdParseError("\(what) is not JSON (starts \"\(start)\")")
        }
        guard case .object(let o) = value else { throw EtcdParseError("\(what) is not a JSON object") }
        return o
    }

    /// A 64-bit unsigned figure: a decimal string (the gateway's), or a
    /// JSON integer (small ones); nil when absent or not one.
    static func uint(_ v: JSONValue?) -> UInt64? {
        switch v {
        case .string(let s)?: UInt64(s)
        case .int(let i)? where i >= 0: UInt64(i)
        default: nil
        }
    }

    static func int(_ v: JSONValue?) -> Int64? {
        uint(v).map { $0 > UInt64(Int64.max) ? Int64.max : Int64($0) }
    }

    /// The gateway's error answer (`{"error":…,"code":9}`), if it is one.
    public static func error(_ body: [UInt8]) -> String? {
        guard let o = try? object(body, "answer") else { return nil }
        return o["error"]?.stringValue ?? o["message"]?.stringValue
    }

    /// The token of `auth/authenticate`'s answer.
    public static func token(_ body: [UInt8]) -> String? {
        (try? object(body, "auth/authenticate"))?["token"]?.stringValue
    }

    public static func status(_ body: [UInt8]) throws(EtcdParseError) -> EtcdStatus {
        let o = try object(body, "maintenance/status")
        if let e = o["error"]?.stringValue { throw EtcdParseError("maintenance/status: \(e)") }
        guard let header = o["header"]?.objectValue, let member = uint(header["member_id"]) else {
            throw EtcdParseError("maintenance/status has no header.member_id")
        }
        guard let term = uint(o["raftTerm"]) ?? uint(header["raft_term"]), let index = uint(o["raftIndex"]) else {
            throw EtcdParseError("maintenance/status has no raftTerm or raftIndex")
        }
        // 0 or absent: no leader known (an election under way).
        let leader = uint(o["leader"]).flatMap { $0 == 0 ? nil : $0 }
        let errors: [String] =
            if case .array(let list)? = o["errors"] { list.compactMap(\.stringValue) } else { [] }
        var status = EtcdStatus(
            memberID: member, leader: leader, raftTerm: term, raftIndex: index, raftAppliedIndex: uint(o["raftAppliedIndex"]),
            dbSize: int(o["dbSize"]) ?? 0, dbSizeInUse: int(o["dbSizeInUse"]), version: o["version"]?.stringValue ?? "",
            isLearner: o["isLearner"] == .bool(true), errors: errors)
        status.clusterID = uint(header["cluster_id"])
        return status
    }

    public static func members(_ body: [UInt8]) throws(EtcdParseError) -> [EtcdMember] {
        let o = try object(body, "cluster/member/list")
        if let e = o["error"]?.stringValue { throw EtcdParseError("cluster/member/list: \(e)") }
        guard case .array(let list)? = o["members"] else { throw EtcdParseError("cluster/member/list has no members") }
        var out: [EtcdMember] = []
        for item in list {
            guard case .object(let m) = item, let id = uint(m["ID"]) else {
                throw EtcdParseError("cluster/member/list has a member without a 64-bit ID")
            }
            out.append(
                EtcdMember(
                    id: id, name: m["name"]?.stringValue ?? "", peerURLs: strings(m["peerURLs"]), clientURLs: strings(m["clientURLs"]),
                    isLearner: m["isLearner"] == .bool(true)))
        }
        return out
    }

    public static func alarms(_ body: [UInt8]) throws(EtcdParseError) -> [EtcdAlarm] {
        let o = try object(body, "maintenance/alarm")
        if let e = o["error"]?.stringValue { throw EtcdParseError("maintenance/alarm: \(e)") }
        guard case .array(let list)? = o["alarms"] else { return [] }
        return list.compactMap { item in
            guard case .object(let a) = item, let alarm = a["alarm"]?.stringValue, alarm != "NONE" else { return nil }
            return EtcdAlarm(memberID: uint(a["memberID"]) ?? 0, alarm: alarm)
        }
    }

    /// `etcd_network_active_peers{Local="…",Remote="<hex>"} 1` lines of a
    /// member's `/metrics`: each peer (by ID) and whether this member is
    /// connected to it. Other lines are skipped, unread.
    public static func activePeers(_ metrics: [UInt8]) -> [UInt64: Bool] {
        let prefix = Array("etcd_network_active_peers{".utf8)
        let remote = Array("Remote=\"".utf8)
        var out: [UInt64: Bool] = [:]
        for line in metrics.split(separator: UInt8(ascii: "\n")) where line.starts(with: prefix) {
            guard let r = line.firstRange(of: remote) else { continue }
            let rest = line[r.upperBound...]
            guard let quote = rest.firstIndex(of: UInt8(ascii: "\"")), let close = rest.lastIndex(of: UInt8(ascii: " ")),
                let id = UInt64(String(decoding: rest[..<quote], as: UTF8.self), radix: 16)
            else { continue }
            let value = Double(String(decoding: rest[rest.index(after: close)...], as: UTF8.self)) ?? 0
            out[id] = value >= 1
        }
        return out
    }

    static func strings(_ v: JSONValue?) -> [String] {
        guard case .array(let list)? = v else { return [] }
        return list.compactMap(\.stringValue)
    }
}
