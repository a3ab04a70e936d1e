import ClusterProtocol
import Foundation
import Synchronization

/// Wall-clock time as a protocol timestamp.
public func wallClockNow() -> Timestamp {
    Timestamp(millis: Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)))
}

/// One endpoint to subscribe to.
public struct EndpointConfig: Sendable, Hashable {
    public var url: String
    /// Bearer token; never printed, logged or shown.
    public var token: String?
    /// PEM file of a private CA for `wss://`.
    public var caFile: String?
    /// The name a `wss://` server's certificate must carry (and TLS's SNI),
    /// when it is not the URL's host: a bare IP address behind a certificate
    /// for a name.
    public var tlsServerName: String?

    public init(url: String, token: String? = nil, caFile: String? = nil, tlsServerName: String? = nil) {
        self.url = url
        self.token = token
        self.caFile = caFile
        self.tlsServerName = tlsServerName
    }

    /// The server name TLS sends (SNI) and checks the certificate's DNS names
    /// against: `tlsServerName`, else nil (the URL's host). A bare IP address
    /// may not be sent as SNI, so one without `tlsServerName` sends
    /// `ipEndpointServerName`, a name under `.invalid` (RFC 6761) that no
    /// certificate carries: the certificate is then accepted only for an IP
    /// address entry equal to the address connected to.
    public var sniHostname: String? {
        if let tlsServerName { return tlsServerName }
        guard let host = URLComponents(string: url)?.host, EndpointConfig.isIPAddress(host) else { return nil }
        return EndpointConfig.ipEndpointServerName
    }

    public static let ipEndpointServerName = "ip-address-endpoint.clusterdash.invalid"

    /// Whether `host` (as URLComponents gives it) is an IPv4 or IPv6 address.
    public static func isIPAddress(_ host: String) -> Bool {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if bare.contains(":") { return true }
        let parts = bare.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { p in !p.isEmpty && p.count <= 3 && p.allSatisfy(\.isNumber) }
    }

    /// Set when the URL is plain `ws://` to a host that is not loopback: the
    /// token and every event would cross the network in clear text.
    public var cleartextWarning: String? {
        guard let c = URLComponents(string: url), c.scheme == "ws", let host = c.host, !EndpointConfig.isLoopback(host) else { return nil }
        return "\(displayName): plain ws:// to a host that is not loopback: the token and the events travel unencrypted (use wss://)"
    }

    public static func isLoopback(_ host: String) -> Bool {
        let h = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        return h == "localhost" || h == "::1" || h.hasPrefix("127.")
    }

    /// The URL for display: never carries credentials.
    public var displayName: String {
        guard let c = URLComponents(string: url), let host = c.host else { return url }
        return "\(c.scheme ?? "ws")://\(host)\(c.port.map { ":\($0)" } ?? "")\(c.path)"
    }
}

/// Where events come from, whatever that is: live sockets, a recording.
/// The app only sees batches, statuses and snapshot requests. Sending
/// commands is a separate capability (`CommandSink`): a read-only dashboard
/// is never given one.
/// What a source can tell and do. Protocol-v1 endpoints provide everything;
/// an engine provides what it has (Patroni has no partition assignments), and
/// a pane whose data no source provides says so in one calm line.
public struct SourceCapabilities: OptionSet, Sendable, Hashable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// Node roles, health, terms and elections.
    public static let roles = SourceCapabilities(rawValue: 1 << 0)
    /// Replication lag per follower.
    public static let lag = SourceCapabilities(rawValue: 1 << 1)
    /// Partition assignments.
    public static let assignments = SourceCapabilities(rawValue: 1 << 2)
    /// Tenant migrations.
    public static let migrations = SourceCapabilities(rawValue: 1 << 3)
    /// Commands it accepts.
    public static let promote = SourceCapabilities(rawValue: 1 << 4)
    public static let migrate = SourceCapabilities(rawValue: 1 << 5)
    public static let cancelMigration = SourceCapabilities(rawValue: 1 << 6)
    /// A partition's leader stepping down (`step_down`, an extension).
    public static let stepDown = SourceCapabilities(rawValue: 1 << 7)

    public static let data: SourceCapabilities = [.roles, .lag, .assignments, .migrations]
    public static let commands: SourceCapabilities = [.promote, .migrate, .cancelMigration, .stepDown]
    /// What a transport can carry: an engine object's `provides` and
    /// `accepts` narrow it (a v1 source with none takes no extension's command).
    public static let all: SourceCapabilities = data.union(commands)

    /// What an engine says it tells and accepts (`provides` and `accepts` of
    /// its `engine` object): how a dashboard behind a gateway learns that the
    /// engine has no partitions. An engine that says nothing of its data is
    /// read as telling all of it.
    public init(engine: EngineClusterInfo) {
        var caps: SourceCapabilities = []
        let words: [(String, SourceCapabilities)] = [
            ("roles", .roles), ("lag", .lag), ("assignments", .assignments), ("migrations", .migrations),
            ("promote", .promote), ("migrate", .migrate), ("cancel_migration", .cancelMigration),
            ("step_down", .stepDown),
        ]
        for (word, cap) in words where engine.provides.contains(word) || engine.accepts.contains(word) { caps.insert(cap) }
        if engine.provides.isEmpty { caps.formUnion(.data) }
        self = caps
    }
}

/// What one endpoint has delivered, for the endpoints overlay.
public struct EndpointStats: Sendable, Hashable {
    public var frames = 0
    public var decodeErrors = 0
    /// Asks that got no usable answer (a polled endpoint's failures).
    public var failures = 0
    /// Connections that came up (the first one included).
    public var connections = 0
    /// The last envelope's source and seq.
    public var lastSource: String?
    public var lastSeq: Int64?
    /// A few words on what carries the endpoint now (NATS: the server and
    /// the active publisher), for the endpoints overlay.
    public var detail: String?
    /// Something wrong behind the endpoint that the source can tell while
    /// connected (NATS: no publisher holds the lease), shown as an alert.
    public var warning: String?
    /// Events held upstream and not yet delivered (NATS: the publisher holds
    /// them while JetStream cannot store them), for the header.
    public var heldUpstream: HeldUpstream?

    public init() {}
}

/// Events an upstream publisher holds for this endpoint: they come, in
/// order, once it can store them.
public struct HeldUpstream: Sendable, Hashable {
    public var events: Int
    public var since: Timestamp?

    public init(events: Int, since: Timestamp?) {
        self.events = events
        self.since = since
    }
}

/// Where a dashboard's envelopes come from: a protocol-v1 stream, an
/// engine's connector, a recording. It fills a bounded queue that the
/// runtime takes from; it says how each endpoint is and what it provides.
public protocol EventSource: Sendable {
    var queue: EnvelopeQueue { get }
    /// What this source tells and which commands it accepts.
    var provides: SourceCapabilities { get }
    /// The status of every endpoint, in the order configured.
    var statuses: [EndpointStatus] { get }
    var endpointNames: [String] { get }
    func start()
    func stop() async
    /// Asks `endpoint` for a fresh snapshot (a subscription op, not a command).
    func requestSnapshot(endpoint: Int)
    /// Counters per endpoint, in the order configured (empty when the source keeps none).
    var stats: [EndpointStats] { get }
    /// The loop of a source that polls its engine (nil for one that is
    /// pushed a stream): how long its polls take, for `/metrics`.
    var pollDriver: PollDriver? { get }
}

extension EventSource {
    public var pollDriver: PollDriver? { nil }
}

extension EventSource {
    /// Asks the endpoint of that name (`endpointNames`) for a fresh snapshot.
    public func requestSnapshot(from name: String) {
        if let i = endpointNames.firstIndex(of: name) { requestSnapshot(endpoint: i) }
    }
}

/// The way commands (promote, migrate, cancel_migration) reach the cluster.
public protocol CommandSink: Sendable {
    /// Sends a command; false when no endpoint is live (nothing was sent).
    func send(_ op: ClientOp) -> Bool
}

extension Mutex where Value == Task<Void, Never>? {
    /// Takes the task out (a second stop finds none), cancels it and waits
    /// for it to end: how a source's `stop` ends its loop.
    public func cancelAndWait() async {
        let t = withLock { t -> Task<Void, Never>? in
            defer { t = nil }
            return t
        }
        t?.cancel()
        await t?.value
    }
}
