import ClusterProtocol

/// A raft peer as one server reports it, from that server's own view.
public struct JetStreamPeer: Sendable, Hashable {
    public var name: String
    /// Caught up, as the reporting server believes (a dead peer can stay
    /// `current` for seconds: `active` tells).
    public var current: Bool
    /// Nanoseconds since the reporting server last heard from it; nil when
    /// not said. A SIGKILLed peer is never marked offline by 2.9: this grows.
    public var activeNanos: Int64?
    /// Raft entries behind (nats-server leaves the field out when 0).
    public var lag: UInt64
    /// Said only after a graceful stop.
    public var offline: Bool

    public init(name: String, current: Bool, activeNanos: Int64? = nil, lag: UInt64 = 0, offline: Bool = false) {
        self.name = name
        self.current = current
        self.activeNanos = activeNanos
        self.lag = lag
        self.offline = offline
    }
}

/// A raft group (the meta group, or one stream's) as one server reports it.
public struct JetStreamGroup: Sendable, Hashable {
    /// Nil while the group has no leader.
    public var leader: String?
    /// The other peers. Only the leader's list is right: a follower lists
    /// the group from its own view (the leader among them, lags of its own).
    public var replicas: [JetStreamPeer]

    public init(leader: String?, replicas: [JetStreamPeer] = []) {
        self.leader = leader
        self.replicas = replicas
    }

    /// Every peer the report names, the leader first.
    public var peers: [String] { (leader.map { [$0] } ?? []) + replicas.map(\.name).filter { $0 != leader } }
}

/// One stream, as a server's JSZ or `STREAM.INFO` gives it.
public struct JetStreamStream: Sendable, Hashable {
    public var account: String
    public var name: String
    /// Nil for a stream outside a cluster.
    public var group: JetStreamGroup?
    /// The configured replica count (nil when the config was not sent).
    public var numReplicas: Int?
    public var placementTags: [String]
    public var messages: UInt64
    public var bytes: UInt64
    public var lastSeq: UInt64

    public init(
        account: String, name: String, group: JetStreamGroup?, numReplicas: Int? = nil, placementTags: [String] = [], messages: UInt64 = 0,
        bytes: UInt64 = 0, lastSeq: UInt64 = 0
    ) {
        self.account = account
        self.name = name
        self.group = group
        self.numReplicas = numReplicas
        self.placementTags = placementTags
        self.messages = messages
        self.bytes = bytes
        self.lastSeq = lastSeq
    }

    /// `APP > ORDERS`, as nats-server words it.
    public var qualifiedName: String { account.isEmpty ? name : "\(account) > \(name)" }
}

/// One server's answer to `$SYS.REQ.SERVER.PING.JSZ`: who it is, the meta
/// group and every stream, all from its own view.
public struct JetStreamServerReport: Sendable, Hashable {
    public var name: String
    /// Changes on every restart: never a key.
    public var id: String
    public var version: String
    public var tags: [String]
    public var cluster: String?
    /// The meta group (the leader's report alone lists its peers).
    public var meta: JetStreamGroup?
    public var clusterSize: Int?
    public var streams: [JetStreamStream]
    public var storageBytes: Int64
    public var memoryBytes: Int64

    public init(
        name: String, id: String = "", version: String = "", tags: [String] = [], cluster: String? = nil, meta: JetStreamGroup?,
        clusterSize: Int? = nil, streams: [JetStreamStream] = [], storageBytes: Int64 = 0, memoryBytes: Int64 = 0
    ) {
        self.name = name
        self.id = id
        self.version = version
        self.tags = tags
        self.cluster = cluster
        self.meta = meta
        self.clusterSize = clusterSize
        self.streams = streams
        self.storageBytes = storageBytes
        self.memoryBytes = memoryBytes
    }
}

/// One server's answer to `$SYS.REQ.SERVER.PING.HEALTHZ`.
public struct JetStreamHealth: Sendable, Hashable {
    public var server: String
    /// Nil when healthy; else nats-server's reason ("JetStream stream 'APP > ORDERS' is not current").
    public var problem: String?

    public init(server: String, problem: String?) {
        self.server = server
        self.problem = problem
    }
}

/// What nats-server pushes that the console acts on.
public enum JetStreamAdvisory: Sendable, Hashable {
    /// A stream elected a leader. The advisory's replica lags are wrong
    /// (every peer shows the same figure): the next poll reads the real ones.
    case leaderElected(account: String?, stream: String, leader: String)
    /// A stream's leader lost its quorum.
    case quorumLost(account: String?, stream: String)
    /// A server stopped gracefully (never sent on SIGKILL).
    case serverShutdown(server: String)
}

/// JetStream's API error (`{"error":{"code":503,"err_code":10008,"description":"…"}}`).
public struct JetStreamAPIError: Error, Sendable, Hashable, CustomStringConvertible {
    public var code: Int64
    public var errCode: Int64
    public var text: String

    public init(code: Int64, errCode: Int64, text: String) {
        self.code = code
        self.errCode = errCode
        self.text = text
    }

    public var description: String { "\(text) (\(code), err_code \(errCode))" }
}

/// Why an answer could not be read, in words for the endpoint status.
public struct JetStreamParseError: Error, Sendable, Hashable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
