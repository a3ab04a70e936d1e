import ClusterProtocol
import ClusterState
import EngineKit
import EventSources

/// etcd's rules (one raft group: a leader, followers, learners): its
/// promotion preview (a leadership move, or a learner's promotion), the
/// weight of its members' states, and its `[clusters.X]` keys.
public struct EtcdRules: EngineRules {
    public static let name: EngineName = "etcd"
    /// What its lag figures count.
    public static let lagUnit = "raft entries"

    public init() {}

    public var name: EngineName { Self.name }
    public var takes: String { "`etcd` (client URLs of the members)" }
    /// Members, roles and lag in raft entries; no partitions, no tenants.
    public var provides: SourceCapabilities { [.roles, .lag, .promote] }

    public func preview(candidate: String, in state: ClusterState, limits: PreviewLimits) -> PromotionVerdict {
        EtcdPreview.evaluate(candidate: candidate, state: state, limits: limits)
    }

    public func promotionNote(in state: ClusterState) -> [String] {
        ["a follower gets the leadership (about 100 ms); a learner becomes a voting member"]
    }

    /// Voting members that one more failure would leave without a quorum.
    public func redundancyLost(in state: ClusterState) -> [String] {
        let q = state.quorum
        guard q.members > 0, q.present, q.serviceable - 1 < q.needed else { return [] }
        return [
            "\(q.serviceable) of \(q.members) voting members answer: one more failure and etcd has no quorum (no writes, no leader)"
        ]
    }

    public func severity(ofState state: String) -> LogSeverity? {
        if state.hasPrefix("started, no leader") { return .warning }
        if state == "started" { return .notice }
        if state.contains("alarm") || state.hasPrefix("unreachable") { return .critical }
        return nil
    }

    public var watchersWord: String { "voting members" }

    public func quorumWords(seeing: Int64, known: Int64, quorum: Int64) -> String {
        "voting members \(seeing)/\(known) answer, quorum \(quorum)"
    }

    public var configKeys: [String] { ["etcd", "auth_env"] }

    public func settings(from t: ClusterTable) throws(ConfigError) -> any EngineSettings {
        var s = EtcdSettings(urls: try t.httpURLs("etcd", missing: "engine etcd needs at least one member's client URL (http://host:2379)"))
        s.authEnv = try t.string("auth_env")
        return s
    }
}

/// An etcd cluster: its members' client URLs (any one will do; the others
/// are found from the member list) and the variable holding credentials.
public struct EtcdSettings: EngineSettings, Equatable {
    public var engine: EngineName { EtcdRules.name }
    public var urls: [String]
    /// The variable holding `user:password` for etcd's authentication.
    public var authEnv: String?
    public var readOnly = false

    public init(urls: [String]) { self.urls = urls }
}
