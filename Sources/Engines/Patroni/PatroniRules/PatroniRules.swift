import ClusterProtocol
import ClusterState
import EngineKit
import EventSources

/// Patroni's rules: its promotion preview (what Patroni itself checks), the
/// weight of its members' states, and its `[clusters.X]` keys.
public struct PatroniRules: EngineRules {
    public static let name: EngineName = "patroni"

    public init() {}

    public var name: EngineName { Self.name }
    public var takes: String { "`patroni` (REST URLs)" }
    /// Members, roles and byte lag; no partitions, no tenants.
    public var provides: SourceCapabilities { [.roles, .lag, .promote] }

    public func preview(candidate: String, in state: ClusterState, limits: PreviewLimits) -> PromotionVerdict {
        PatroniPreview.evaluate(candidate: candidate, state: state, lagLimitBytes: limits.lagLimitBytes)
    }

    /// A leader with no healthy, running replica: one more failure and
    /// there is nothing to fail over to (and the data lives on one node).
    public func redundancyLost(in state: ClusterState) -> [String] {
        guard let leader = state.primaries.first(where: { state.nodes[$0]?.isPresent ?? false }) else { return [] }
        let standing = state.orderedNodes.filter { n in
            n.isPresent && n.info.role == .replica && n.info.health == .healthy
                && ["running", "streaming"].contains(n.info.engine?.state ?? "")
        }
        guard standing.isEmpty else { return [] }
        return ["no healthy replica of \(leader): one more failure loses the cluster's only copy of its data"]
    }

    public func severity(ofState state: String) -> LogSeverity? {
        switch state {
        case "running", "streaming": .notice
        case "crashed", "start failed", "restart failed", "stopped": .critical
        default: nil
        }
    }

    public var configKeys: [String] { ["patroni", "etcd", "auth_env"] }

    public func settings(from t: ClusterTable) throws(ConfigError) -> any EngineSettings {
        var s = PatroniSettings(
            urls: try t.httpURLs("patroni", missing: "engine patroni needs at least one member's REST URL (http://host:8008)"),
            etcd: try t.httpURLs("etcd", missing: nil))
        s.authEnv = try t.string("auth_env")
        return s
    }
}

/// A Patroni cluster: its members' REST APIs (any one will do) and etcd's
/// HTTP gateway holding its keys (changes pushed, not only polled).
public struct PatroniSettings: EngineSettings, Equatable {
    public var engine: EngineName { PatroniRules.name }
    public var urls: [String]
    public var etcd: [String]
    /// The variable holding `user:password` for the REST API.
    public var authEnv: String?
    public var readOnly = false

    public init(urls: [String], etcd: [String] = []) {
        self.urls = urls
        self.etcd = etcd
    }
}
