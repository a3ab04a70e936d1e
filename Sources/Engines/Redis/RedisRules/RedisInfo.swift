/// `INFO` as Redis writes it: `# Section` headers and `key:value` lines.
/// Only what the connectors read is kept; an unknown line is skipped, a line
/// without a colon too (never a crash on a changed format).
public struct RedisInfo: Sendable, Hashable {
    public var fields: [String: String]

    public init(_ text: String) {
        var f: [String: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            guard !line.hasPrefix("#"), let colon = line.firstIndex(of: ":") else { continue }
            f[String(line[..<colon])] = String(line[line.index(after: colon)...])
        }
        fields = f
    }

    public subscript(_ key: String) -> String? { fields[key] }

    public func int(_ key: String) -> Int64? { fields[key].flatMap { Int64($0) } }

    /// A master's view of one replica (`slaveN:ip=…,port=…,state=online,offset=…,lag=…`).
    public struct ReplicaLink: Sendable, Hashable {
        public var address: String
        public var state: String
        public var offset: Int64
        /// Seconds since the replica's last ACK (`lag=`): not data behind.
        public var ackSeconds: Int64
    }

    /// The replicas a master lists, in its order.
    public var replicaLinks: [ReplicaLink] {
        let count = int("connected_slaves") ?? 0
        guard count > 0 else { return [] }
        var out: [ReplicaLink] = []
        for i in 0..<min(count, 64) {
            guard let line = fields["slave\(i)"] else { continue }
            var kv: [Substring: Substring] = [:]
            for part in line.split(separator: ",") {
                guard let eq = part.firstIndex(of: "=") else { continue }
                kv[part[..<eq]] = part[part.index(after: eq)...]
            }
            guard let ip = kv["ip"], let port = kv["port"] else { continue }
            out.append(
                ReplicaLink(
                    address: "\(ip):\(port)", state: kv["state"].map(String.init) ?? "?", offset: kv["offset"].flatMap { Int64($0) } ?? 0,
                    ackSeconds: kv["lag"].flatMap { Int64($0) } ?? 0))
        }
        return out
    }
}
