import ClusterProtocol
import ClusterState
import EngineKit
import EventSources

/// MySQL and MariaDB replication's rules (GTID, a primary and its
/// replicas, chains allowed): its promotion preview, the weight of its
/// servers' states, and its `[clusters.X]` keys.
public struct MySQLRules: EngineRules {
    public static let name: EngineName = "mysql"

    public init() {}

    public var name: EngineName { Self.name }
    public var takes: String { "`mysql` (host:port of the servers)" }
    /// Servers, roles and lag (transactions and seconds); no partitions.
    public var provides: SourceCapabilities { [.roles, .lag, .promote] }

    public func preview(candidate: String, in state: ClusterState, limits: PreviewLimits) -> PromotionVerdict {
        MySQLPreview.evaluate(candidate: candidate, state: state, limits: limits)
    }

    public func promotionNote(in state: ClusterState) -> [String] {
        let primaryUp = state.primaries.contains { state.nodes[$0]?.info.health == .healthy || state.nodes[$0]?.info.health == .degraded }
        return primaryUp
            ? ["switchover, step by step: primary read-only, candidate caught up, made writable, the rest follow"]
            : ["failover: the primary does not answer; the candidate is made writable, the replicas follow"]
    }

    /// A primary with no replica replicating: one more failure and
    /// nothing is left to fail over to.
    public func redundancyLost(in state: ClusterState) -> [String] {
        guard let primary = state.primaries.first(where: { state.nodes[$0]?.isPresent ?? false }) else { return [] }
        let standing = state.orderedNodes.filter { n in
            n.isPresent && n.info.role == .replica && n.info.engine?.tag("io_thread") == "Yes" && n.info.engine?.tag("sql_thread") == "Yes"
        }
        guard standing.isEmpty else { return [] }
        return ["no replica of \(primary) replicates: one more failure loses the only copy of its data"]
    }

    /// Replication elects nobody: the primary is whom the operator makes it.
    public var decidesByMajority: Bool { false }

    public func severity(ofState state: String) -> LogSeverity? {
        if state == "running" { return .notice }
        if state.hasPrefix("unreachable") || state.contains("errant") || state.contains("SQL No") { return .critical }
        if state.contains("IO Connecting") || state.contains("IO No") || state.contains("writable replica") { return .warning }
        return nil
    }

    public var configKeys: [String] { ["mysql", "auth_env", "repl_auth_env"] }

    public func settings(from t: ClusterTable) throws(ConfigError) -> any EngineSettings {
        var s = MySQLSettings(servers: try t.hostPorts("mysql"))
        s.authEnv = try t.string("auth_env")
        s.replicationAuthEnv = try t.string("repl_auth_env")
        return s
    }
}

/// A MySQL or MariaDB replication topology: its servers (any one will do;
/// the others are found from replication itself) and the variables that
/// hold the credentials.
public struct MySQLSettings: EngineSettings, Equatable {
    public var engine: EngineName { MySQLRules.name }
    public var servers: [String]
    /// The variable holding `user:password` the console logs in with.
    public var authEnv: String?
    /// The variable holding `user:password` of the replication user, for
    /// pointing servers at a new primary (a switchover or failover).
    public var replicationAuthEnv: String?
    public var readOnly = false

    public init(servers: [String]) { self.servers = servers }
}
