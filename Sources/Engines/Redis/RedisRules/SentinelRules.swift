import ClusterProtocol
import ClusterState
import EngineKit
import EventSources

/// Redis Sentinel's rules: `SENTINEL FAILOVER` takes no candidate (the
/// preview says which replica Sentinel will most likely pick), the weight
/// of its announcements, and its `[clusters.X]` keys.
public struct SentinelRules: EngineRules {
    public static let name: EngineName = "redis-sentinel"

    public init() {}

    public var name: EngineName { Self.name }
    public var takes: String { "`sentinels` (host:port) and `master`" }
    /// A master and its replicas; no partitions, no tenants.
    public var provides: SourceCapabilities { [.roles, .lag, .promote] }

    public func preview(candidate: String, in state: ClusterState, limits: PreviewLimits) -> PromotionVerdict {
        SentinelPreview.evaluate(candidate: candidate, state: state, likely: Self.likely(in: state))
    }

    /// The replica Sentinel would most likely pick: not down, priority not 0,
    /// the lowest priority, then the fewest bytes behind.
    static func likely(in state: ClusterState) -> String? {
        SentinelChoice.likely(
            state.orderedNodes.filter { $0.isPresent && $0.info.role == .replica }.map { n in
                SentinelChoice.Replica(
                    id: n.id, healthy: n.info.health == .healthy, priority: n.info.engine?.tag("replica_priority").flatMap { Int($0) },
                    lagBytes: state.followers[n.id]?.lagBytes)
            })
    }

    public var watchersWord: String { "sentinels" }

    /// No replica to fail over to, or exactly the quorum of sentinels left.
    public func redundancyLost(in state: ClusterState) -> [String] {
        var out: [String] = []
        let master = state.primaries.first { state.nodes[$0]?.isPresent ?? false }
        let replicas = state.orderedNodes.filter { $0.isPresent && $0.info.role == .replica && $0.info.health == .healthy }
        if let master, replicas.isEmpty {
            out.append("no healthy replica of \(master): one more failure and Sentinel has nothing to fail over to")
        }
        if let e = state.engine, let quorum = e.quorum, quorum > 0, let seeing = e.witnesses, seeing == quorum {
            out.append(
                "\(seeing) of \(e.watchersKnown ?? seeing) sentinels see the master, exactly the quorum: one more lost and no failover can run")
        }
        return out
    }

    public func promotionNote(in state: ClusterState) -> [String] {
        [
            "SENTINEL FAILOVER takes no candidate: Sentinel picks the replica",
            "itself (priority, then offset); choosing here only previews.",
        ]
    }

    /// The announcements that mean a failover is near or under way.
    public func severity(ofNotice kind: String) -> LogSeverity? {
        ["+odown", "+switch-master", "+try-failover", "-failover-abort-not-elected", "-failover-abort-no-good-slave"].contains(kind)
            ? .warning : nil
    }

    public var configKeys: [String] { ["sentinels", "master", "auth_env"] }

    public func settings(from t: ClusterTable) throws(ConfigError) -> any EngineSettings {
        let sentinels = try t.hostPorts("sentinels")
        guard let master = try t.string("master"), !master.isEmpty else {
            throw t.error("master", "missing: the master's name the sentinels monitor")
        }
        var s = SentinelSettings(sentinels: sentinels, master: master)
        s.authEnv = try t.string("auth_env")
        return s
    }
}

/// Redis Sentinel: every sentinel (each is asked) and the master's name they monitor.
public struct SentinelSettings: EngineSettings, Equatable {
    public var engine: EngineName { SentinelRules.name }
    public var sentinels: [String]
    public var master: String
    /// The variable holding the `password` or `user:password` of the master and the sentinels.
    public var authEnv: String?
    public var readOnly = false

    public init(sentinels: [String], master: String) {
        self.sentinels = sentinels
        self.master = master
    }
}
