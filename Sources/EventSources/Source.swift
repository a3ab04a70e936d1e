import ClusterProtocol
import Foundation

/// One endpoint to subscribe to.
public struct EndpointConfig: Sendable, Hashable {
    public var url: String
    /// Bearer token; never printed, logged or shown.
    public var token: String?
    /// PEM file of a private CA for `wss://`.
    public var caFile: String?

    public init(url: String, token: String? = nil, caFile: String? = nil) {
        self.url = url
        self.token = token
        self.caFile = caFile
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
public protocol EventSource: Sendable {
    var queue: EnvelopeQueue { get }
    /// The status of every endpoint, in the order configured.
    var statuses: [EndpointStatus] { get }
    var endpointNames: [String] { get }
    func start()
    func stop() async
    /// Asks `endpoint` for a fresh snapshot (a subscription op, not a command).
    func requestSnapshot(endpoint: Int)
}

/// The way commands (promote, migrate, cancel_migration) reach the cluster.
public protocol CommandSink: Sendable {
    /// Sends a command; false when no endpoint is live (nothing was sent).
    func send(_ op: ClientOp) -> Bool
}

