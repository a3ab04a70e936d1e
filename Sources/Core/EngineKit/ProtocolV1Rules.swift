import ClusterProtocol
import ClusterState
import Foundation

/// A cluster that speaks protocol v1 itself (the simulator, or any server of
/// the protocol), reached by its WebSocket endpoints or by the NATS servers
/// that carry its stream: the engine a stream with no `engine.status` is,
/// and the config's default. Its preview is the protocol's own validator.
public struct ProtocolV1Rules: EngineRules {
    public static let name: EngineName = "protocol-v1"

    public init() {}

    public var name: EngineName { Self.name }
    public var takes: String { "`endpoints` (ws://, wss://, nats:// or nats+ws:// URLs)" }

    public func preview(candidate: String, in state: ClusterState, limits: PreviewLimits) -> PromotionVerdict {
        state.promotionPreview(candidate: candidate, now: limits.now, lagLimitMillis: limits.lagLimitMillis)
    }

    public var configKeys: [String] { ["endpoints", "token_env", "ca_file", "tls_server_name", "auth_env"] }

    public func settings(from t: ClusterTable) throws(ConfigError) -> any EngineSettings {
        var s = StreamSettings(endpoints: try endpoints(t))
        s.tokenEnv = try t.string("token_env")
        s.caFile = try t.string("ca_file")
        s.tlsServerName = try t.string("tls_server_name")
        s.authEnv = try t.string("auth_env")
        if s.authEnv != nil, !s.endpoints.allSatisfy({ $0.hasPrefix("nats") }) {
            throw t.error("auth_env", "only for an engine or nats:// endpoints (ws:// endpoints take token_env)")
        }
        return s
    }

    private func endpoints(_ t: ClusterTable) throws(ConfigError) -> [String] {
        guard t.has("endpoints") else {
            throw t.error("endpoints", "missing: a cluster needs at least one ws://, wss:// or nats:// URL")
        }
        guard let urls = try t.stringArray("endpoints") else { return [] }
        if urls.isEmpty { throw t.error("endpoints", "empty: a cluster needs at least one ws://, wss:// or nats:// URL") }
        var families: Set<String> = []
        for (i, url) in urls.enumerated() {
            let field = "\(t.at).endpoints[\(i)]"
            guard let c = URLComponents(string: url), let scheme = c.scheme, ["ws", "wss", "nats", "nats+ws"].contains(scheme),
                let host = c.host, !host.isEmpty
            else {
                // Shown only when it cannot carry a password.
                let shown = url.contains("@") ? "" : ": \(url)"
                throw t.reader.error(field: field, "not a ws://, wss://, nats:// or nats+ws:// URL\(shown)")
            }
            if scheme.hasPrefix("nats"), c.user != nil || c.password != nil {
                throw t.reader.error(field: field, "NATS credentials do not go in the URL (CLUSTERDASH_NATS_USER/_PASSWORD or _TOKEN)")
            }
            families.insert(scheme.hasPrefix("nats") ? "NATS" : "protocol-v1 WebSocket")
            if families.count > 1 {
                throw t.reader.error(field: field, "one cluster's endpoints are all NATS servers or all protocol-v1 WebSocket URLs, not both")
            }
        }
        return urls
    }
}

/// A protocol-v1 stream's endpoints and how to reach them.
public struct StreamSettings: EngineSettings, Equatable {
    public var engine: EngineName { ProtocolV1Rules.name }
    /// `ws://`, `wss://`, `nats://` or `nats+ws://` URLs (one family).
    public var endpoints: [String]
    /// The environment variable holding the bearer token.
    public var tokenEnv: String?
    /// A bearer token given directly (the `--token` flag).
    public var token: Secret?
    public var caFile: String?
    /// The name the `wss://` servers' certificates carry when the URLs give
    /// bare IP addresses.
    public var tlsServerName: String?
    /// NATS credentials' variable (`user:password` or a token).
    public var authEnv: String?
    public var readOnly = false

    public init(endpoints: [String]) { self.endpoints = endpoints }

    /// The private CA's file must be readable.
    public func preflight() -> [SettingProblem] {
        guard let caFile, !FileManager.default.isReadableFile(atPath: caFile) else { return [] }
        return [SettingProblem(key: "ca_file", message: "no readable file at \(caFile)")]
    }
}
