import ClusterProtocol

/// What one server answered in a poll: its status, or why it did not.
public enum MySQLServerAnswer: Sendable, Hashable {
    case status(MySQLServerStatus)
    case failed(String)

    public var status: MySQLServerStatus? {
        if case .status(let s) = self { return s }
        return nil
    }
}

/// One poll of a replication topology: every server known, by the address
/// it was reached at (`host:port`), in the order they became known.
public struct MySQLObservation: Sendable, Hashable {
    public var servers: [(address: String, answer: MySQLServerAnswer)]
    public var at: Timestamp
    /// The cause of the next change of primary, when ours (a switchover we run).
    public var causeHint: String?

    public init(servers: [(address: String, answer: MySQLServerAnswer)], at: Timestamp, causeHint: String? = nil) {
        self.servers = servers
        self.at = at
        self.causeHint = causeHint
    }

    public static func == (a: MySQLObservation, b: MySQLObservation) -> Bool {
        a.at == b.at && a.causeHint == b.causeHint && a.servers.map(\.address) == b.servers.map(\.address)
            && a.servers.map(\.answer) == b.servers.map(\.answer)
    }

    public func hash(into h: inout Hasher) {
        h.combine(at)
        for s in servers {
            h.combine(s.address)
            h.combine(s.answer)
        }
    }

    /// Each answering server's status, by address.
    public var statuses: [String: MySQLServerStatus] {
        var out: [String: MySQLServerStatus] = [:]
        for s in servers { if let st = s.answer.status { out[s.address] = st } }
        return out
    }

    /// Addresses that the answers name and the poll did not ask: each
    /// replica's source and each server's connected replicas.
    public var named: [String] {
        var seen = Set(servers.map(\.address))
        var out: [String] = []
        for s in servers {
            guard let st = s.answer.status else { continue }
            for a in (st.replication.map { [$0.source] } ?? []) + st.replicaHosts where seen.insert(a).inserted { out.append(a) }
        }
        return out
    }
}
