import ClusterProtocol
import NIOSSL

/// How a protocol-v1 server listens and who it lets in.
public struct StreamServerOptions: Sendable {
    public var host = "127.0.0.1"
    /// 0 picks a free port.
    public var port = 7400
    /// Bearer tokens. When either is set, an upgrade without a valid one gets 401.
    public var readToken: String?
    public var operateToken: String?
    /// One more listener per node, streaming that node's own events.
    public var perNodePorts = false
    /// First per-node port (node-1 gets it, node-2 the next...); 0 picks free ports.
    public var nodePortBase = 0
    /// Drive simulated time from the wall clock (off in tests that step time).
    public var realtime = true
    public var tickMillis: Int64 = 100
    /// Stream lag samples as fast as the socket takes (benchmarks).
    public var flood = false
    /// Stop each connection's flood after this long (nil: never); it still
    /// answers snapshot requests, so a client can end in its exact state.
    public var floodDuration: Duration?
    /// Told, per connection, where its flood ended (its truth to compare with).
    public var floodEnded: (@Sendable (FloodOutcome) -> Void)?
    /// Largest client frame accepted.
    public var maxClientFrameBytes = 1 << 20
    /// Serve TLS (`wss://`, `https://`) with this certificate and key, on
    /// every listener (`ServerTLS.configuration` reads them from PEM files).
    public var tls: TLSConfiguration?
    /// More of what `/stats` says, beside the server's own counts (the
    /// NATS publisher's state under `nats_publisher`).
    public var moreStats: (@Sendable () -> [JSONField])?
    /// Why the server is not healthy, if it is not (the gateway: its
    /// engine's source reaches no endpoint): `/health` answers 503 with it.
    public var unhealthy: (@Sendable () -> String?)?
    /// Prometheus metrics on `/metrics` (the gateway's); nil: no such path.
    public var metrics: ServerMetrics?

    public init() {}

    /// Whether any token is configured.
    public var requiresToken: Bool { readToken != nil || operateToken != nil }

    /// The scope a request's `Authorization` header grants, nil when it grants none.
    func scope(for authorization: String?) -> TokenScope? {
        guard requiresToken else { return .operate }
        guard let authorization, authorization.hasPrefix("Bearer ") else { return nil }
        let token = String(authorization.dropFirst("Bearer ".count))
        if let operateToken, token == operateToken { return .operate }
        if let readToken, token == readToken { return .read }
        return nil
    }
}
