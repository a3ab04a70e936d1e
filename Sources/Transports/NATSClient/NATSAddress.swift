import Foundation

/// A NATS server to connect to: `nats://HOST:PORT` (TCP) or
/// `nats+ws://HOST:PORT` (the server's WebSocket listener), with an optional
/// path naming the cluster (`nats://127.0.0.1:4222/prod-eu`).
public struct NATSAddress: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var webSocket: Bool
    /// The path's first component, if any.
    public var cluster: String?

    public init(host: String, port: Int, webSocket: Bool = false, cluster: String? = nil) {
        self.host = host
        self.port = port
        self.webSocket = webSocket
        self.cluster = cluster
    }

    public static let schemes = ["nats", "nats+ws"]

    /// Parses a URL; credentials in it are refused (they would be shown).
    public init(url: String) throws(NATSError) {
        guard let c = URLComponents(string: url), let scheme = c.scheme, Self.schemes.contains(scheme) else {
            throw .invalid("\(url): not a nats:// or nats+ws:// URL")
        }
        guard c.user == nil, c.password == nil else {
            throw .invalid("\(scheme)://…: credentials do not go in the URL (CLUSTERDASH_NATS_USER/_PASSWORD or _TOKEN)")
        }
        guard let host = c.host, !host.isEmpty else { throw .invalid("\(url): no host") }
        let path = c.path.split(separator: "/").first.map(String.init)
        self.init(host: host, port: c.port ?? (scheme == "nats" ? 4222 : 8080), webSocket: scheme == "nats+ws", cluster: path)
    }

    public var description: String {
        "\(webSocket ? "nats+ws" : "nats")://\(host.contains(":") ? "[\(host)]" : host):\(port)\(cluster.map { "/\($0)" } ?? "")"
    }
}
