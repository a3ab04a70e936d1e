import NATSClient

/// Where a cluster's protocol-v1 stream lives on NATS (docs/PROTOCOL.md,
/// "On NATS JetStream"). One JetStream stream per cluster:
///
///     stream   CLUSTERDASH_<cluster>         subjects clusterdash.<cluster>.>
///     events   clusterdash.<cluster>.ev.<source>     every envelope with a seq, in order
///              clusterdash.<cluster>.ev.mixed.sources  a batch of several sources' envelopes
///     snapshot clusterdash.<cluster>.snap            the state at that point of the stream
///     commands clusterdash.<cluster>.cmd             request/reply to the active gateway
///     active   clusterdash.<cluster>.active          which gateway publishes (a lock with a TTL)
///     status   clusterdash.<cluster>.status          the active publisher's state, once a second (core NATS, not stored)
///
/// Every message carries `Nats-Msg-Id` (the envelope's id, or the first
/// one's and `+N` for a batch: `StoredBatch`), so a publish repeated after a
/// reconnect is stored once.
public struct ClusterSubjects: Sendable, Hashable {
    public let cluster: String

    /// nil when `cluster` cannot be a subject token and a stream name.
    public init?(cluster: String) {
        guard Self.isValidName(cluster) else { return nil }
        self.cluster = cluster
    }

    /// 1-64 of letters, digits, `-` and `_`.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 64
            && name.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || $0 == 45 || $0 == 95 }
    }

    public static let streamPrefix = "CLUSTERDASH_"
    /// The stream of every cluster's active-publisher lease.
    public static let leaseStream = "CLUSTERDASH_LEASES"

    public var stream: String { Self.streamPrefix + cluster }
    public var all: String { "clusterdash.\(cluster).>" }
    public var events: String { "clusterdash.\(cluster).ev.>" }
    public var snapshot: String { "clusterdash.\(cluster).snap" }
    public var commands: String { "clusterdash.\(cluster).cmd" }
    public var active: String { "clusterdash.\(cluster).active" }
    public var status: String { "clusterdash.\(cluster).status" }
    /// Every cluster's snapshot subject (what `--fleet` and discovery look for).
    public static let anySnapshot = "clusterdash.*.snap"

    /// The subject of a batch whose envelopes come from several sources
    /// (two tokens after `ev`: no source's subject is it).
    public var mixedEvents: String { "clusterdash.\(cluster).ev.mixed.sources" }

    /// The subject of `source`'s events: a source id is made a token
    /// (`.`, `*`, `>`, spaces and controls become `_`).
    public func events(of source: String) -> String {
        let token = String(
            decoding: source.utf8.prefix(128).map { b in b <= 32 || b >= 127 || b == 46 || b == 42 || b == 62 ? 95 : b }, as: UTF8.self)
        return "clusterdash.\(cluster).ev.\(token.isEmpty ? "_" : token)"
    }

    /// The cluster a stream name belongs to.
    public static func cluster(ofStream name: String) -> String? {
        guard name.hasPrefix(streamPrefix) else { return nil }
        return String(name.dropFirst(streamPrefix.count))
    }
}
