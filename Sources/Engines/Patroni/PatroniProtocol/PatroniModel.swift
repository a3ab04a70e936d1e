import ClusterProtocol

/// A member's lag as Patroni's `/cluster` gives it: a number of bytes, the
/// string `unknown`, or nothing at all (the leader; a member with no position).
public enum PatroniLag: Sendable, Hashable {
    case bytes(Int64)
    case unknown
    case absent
}

/// One member of `/cluster`, as Patroni wrote it.
public struct PatroniMember: Sendable, Hashable {
    public var name: String
    /// `leader`, `standby_leader`, `sync_standby`, `replica` (older: `master`).
    public var role: String
    /// `running`, `streaming`, `starting`, `stopping`, `stopped`, `crashed`…
    public var state: String
    public var apiURL: String?
    public var host: String?
    public var port: Int64?
    /// Missing for a moment mid-switchover: the last known one is kept.
    public var timeline: Int64?
    public var lag: PatroniLag
    public var tags: [JSONField]
    public var pendingRestart: Bool

    public init(
        name: String, role: String, state: String, apiURL: String? = nil, host: String? = nil, port: Int64? = nil,
        timeline: Int64? = nil, lag: PatroniLag = .absent, tags: [JSONField] = [], pendingRestart: Bool = false
    ) {
        self.name = name
        self.role = role
        self.state = state
        self.apiURL = apiURL
        self.host = host
        self.port = port
        self.timeline = timeline
        self.lag = lag
        self.tags = tags
        self.pendingRestart = pendingRestart
    }

    public var isLeader: Bool { ["leader", "master", "primary", "standby_leader"].contains(role) }
    public var isReplica: Bool { ["replica", "sync_standby", "quorum_standby"].contains(role) }

    /// The REST base of the member (`http://127.0.0.1:8008`), from its `api_url`.
    public var restBase: String? {
        guard let apiURL else { return nil }
        return apiURL.hasSuffix("/patroni") ? String(apiURL.dropLast("/patroni".count)) : apiURL
    }
}

/// `GET /cluster`: the members and the cluster-wide state.
public struct PatroniClusterView: Sendable, Hashable {
    public var members: [PatroniMember]
    public var paused: Bool
    public var scheduledSwitchover: ScheduledSwitchover?

    public init(members: [PatroniMember], paused: Bool = false, scheduledSwitchover: ScheduledSwitchover? = nil) {
        self.members = members
        self.paused = paused
        self.scheduledSwitchover = scheduledSwitchover
    }
}

/// Why a Patroni answer could not be read, in words for the endpoint's status.
public struct PatroniParseError: Error, Sendable, Hashable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Reads Patroni's REST answers. Tolerant where Patroni is loose (a missing
/// timeline, lag as a string, extra fields), strict where a wrong answer
/// would mislead (not JSON, not the shape of `/cluster`).
public enum PatroniParse {
    static func json(_ body: [UInt8], _ what: String) throws(PatroniParseError) -> JSONValue {
        do {
            return try JSONParser.parse(body)
        } catch {
            let start = String(decoding: body.prefix(40), as: UTF8.self).filter { !$0.isNewline }
            throw PatroniParseError("\(what) is not JSON (starts \"\(start)\")")
        }
    }

    public static func cluster(_ body: [UInt8]) throws(PatroniParseError) -> PatroniClusterView {
        guard case .object(let o) = try json(body, "/cluster") else { throw PatroniParseError("/cluster is not a JSON object") }
        guard case .array(let list)? = o["members"] else { throw PatroniParseError("/cluster has no members list") }
        var members: [PatroniMember] = []
        for item in list {
            guard case .object(let m) = item, let name = m["name"]?.stringValue, !name.isEmpty else {
                throw PatroniParseError("/cluster has a member without a name")
            }
            let lag: PatroniLag
            switch m["lag"] {
            case .int(let v)?: lag = .bytes(v)
            case .double(let v)?: lag = v.isFinite ? .bytes(Int64(max(-9e18, min(9e18, v)))) : .unknown
            case .string?: lag = .unknown
            default: lag = .absent
            }
            members.append(
                PatroniMember(
                    name: name, role: m["role"]?.stringValue ?? "unknown", state: m["state"]?.stringValue ?? "unknown",
                    apiURL: m["api_url"]?.stringValue, host: m["host"]?.stringValue, port: int(m["port"]),
                    timeline: int(m["timeline"]), lag: lag, tags: m["tags"]?.objectValue?.fields ?? [],
                    pendingRestart: bool(m["pending_restart"])))
        }
        var scheduled: ScheduledSwitchover?
        if case .object(let s)? = o["scheduled_switchover"] {
            scheduled = ScheduledSwitchover(
                at: s["at"]?.stringValue.flatMap { Timestamp(rfc3339: $0) }, from: s["from"]?.stringValue, to: s["to"]?.stringValue)
        }
        return PatroniClusterView(members: members, paused: bool(o["pause"]), scheduledSwitchover: scheduled)
    }

    /// `GET /history`: `[[timeline, lsn, reason, timestamp, new leader], …]`.
    public static func history(_ body: [UInt8]) throws(PatroniParseError) -> FailoverHistory {
        guard case .array(let rows) = try json(body, "/history") else { throw PatroniParseError("/history is not a JSON array") }
        var entries: [FailoverHistory.Entry] = []
        for row in rows {
            guard case .array(let f) = row, let tl = f.first.flatMap(int) else { continue }
            entries.append(
                FailoverHistory.Entry(
                    term: tl, position: f.count > 1 ? int(f[1]) : nil, reason: f.count > 2 ? f[2].stringValue : nil,
                    at: f.count > 3 ? f[3].stringValue.flatMap { Timestamp(rfc3339: $0) } : nil,
                    leader: f.count > 4 ? f[4].stringValue : nil))
        }
        return FailoverHistory(entries: entries)
    }

    /// `GET /config`: the dynamic configuration; what the dashboard reads of it.
    public struct Config: Sendable, Hashable {
        public var maximumLagOnFailover: Int64?
        public var ttl: Int64?
        public var loopWait: Int64?
    }

    public static func config(_ body: [UInt8]) throws(PatroniParseError) -> Config {
        guard case .object(let o) = try json(body, "/config") else { throw PatroniParseError("/config is not a JSON object") }
        return Config(maximumLagOnFailover: int(o["maximum_lag_on_failover"]), ttl: int(o["ttl"]), loopWait: int(o["loop_wait"]))
    }

    /// `GET /patroni` of one member: its Patroni version and scope.
    public static func memberStatus(_ body: [UInt8]) throws(PatroniParseError) -> (version: String?, scope: String?) {
        guard case .object(let o) = try json(body, "/patroni") else { throw PatroniParseError("/patroni is not a JSON object") }
        let p = o["patroni"]?.objectValue
        return (p?["version"]?.stringValue, p?["scope"]?.stringValue)
    }

    static func int(_ v: JSONValue?) -> Int64? {
        switch v {
        case .int(let i)?: i
        case .double(let d)? where d.isFinite && abs(d) < 9e18: Int64(d)
        case .string(let s)?: Int64(s)
        default: nil
        }
    }

    static func bool(_ v: JSONValue?) -> Bool {
        switch v {
        case .bool(let b)?: b
        case .string(let s)?: s.lowercased() == "true"
        default: false
        }
    }
}
