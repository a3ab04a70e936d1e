import NATSClient

/// How a dashboard reads a cluster's stream from NATS JetStream.
public struct NATSSourceConfig: Sendable {
    /// NATS servers, tried in turn; the first one's path names the cluster.
    public var servers: [NATSAddress]
    /// nil: the only clusterdash stream the servers hold.
    public var cluster: String?
    public var credentials = NATSCredentials()
    /// Commands are never sent (and the source is not a command sink).
    public var readOnly = false
    /// Silence after which a connection counts as dead (JetStream sends a heartbeat every 2 s).
    public var heartbeatTimeout: Duration = .seconds(8)

    public init(servers: [NATSAddress], cluster: String? = nil) {
        self.servers = servers
        self.cluster = cluster ?? servers.lazy.compactMap(\.cluster).first
    }
}
