import ClusterProtocol

/// Parti's state as its NATS KV buckets hold it (arloliu/parti: config.go,
/// internal/stableid, internal/election, internal/heartbeat,
/// internal/assignment/assignment_publisher.go): read exactly as Parti
/// writes it, never written by clusterdash.
public enum PartiKV {
    /// The four buckets of a prefix (`parti` gives `parti-stableid`, …).
    public static func buckets(prefix: String) -> (stableID: String, election: String, heartbeat: String, assignment: String) {
        ("\(prefix)-stableid", "\(prefix)-election", "\(prefix)-heartbeat", "\(prefix)-assignment")
    }

    /// The election key's value, `"<workerID>:<unix seconds>"`: who leads and since when.
    public static func leader(_ value: [UInt8]) -> (worker: String, since: Timestamp?)? {
        let text = trimmed(value)
        guard let colon = text.lastIndex(of: ":") else { return text.isEmpty ? nil : (text, nil) }
        let worker = String(text[..<colon])
        guard !worker.isEmpty else { return nil }
        let seconds = Int64(text[text.index(after: colon)...])
        let since = seconds.flatMap { s in s > -9_000_000_000 && s < 9_000_000_000 ? Timestamp(millis: s * 1000) : nil }
        return (worker, since)
    }

    /// A heartbeat's or an id claim's value: an RFC 3339 time (nanoseconds allowed).
    public static func time(_ value: [UInt8]) -> Timestamp? {
        Timestamp(rfc3339: trimmed(value))
    }

    static func trimmed(_ value: [UInt8]) -> String {
        let text = String(decoding: value, as: UTF8.self)
        return String(text.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }

    /// One partition of an assignment: its keys, its id (the keys joined
    /// with `-`, as Parti names durable consumers) and its weight.
    public struct Partition: Sendable, Hashable {
        public var keys: [String]
        public var weight: Int64
        public var id: String { keys.joined(separator: "-") }

        public init(keys: [String], weight: Int64) {
            self.keys = keys
            self.weight = weight
        }
    }

    /// A worker's assignment (`assignment.<workerID>`).
    public struct Assignment: Sendable, Hashable {
        public var version: Int64
        /// `cold_start`, `planned_scale`, `emergency` or `restart`.
        public var lifecycle: String
        public var partitions: [Partition]

        public init(version: Int64, lifecycle: String, partitions: [Partition]) {
            self.version = version
            self.lifecycle = lifecycle
            self.partitions = partitions
        }
    }

    /// An assignment's JSON; nil when it is not one (said as garbage by the source).
    public static func assignment(_ value: [UInt8]) -> Assignment? {
        guard case .object(let o)? = try? JSONParser.parse(value), case .int(let version)? = o["version"] else { return nil }
        var partitions: [Partition] = []
        if case .array(let list)? = o["partitions"] {
            for case .object(let p) in list {
                let keys: [String] = if case .array(let k)? = p["keys"] { k.compactMap(\.stringValue) } else { [] }
                let weight: Int64 = if case .int(let w)? = p["weight"] { w } else { 0 }
                partitions.append(Partition(keys: keys, weight: weight))
            }
        }
        return Assignment(version: version, lifecycle: o["lifecycle"]?.stringValue ?? "", partitions: partitions)
    }
}
