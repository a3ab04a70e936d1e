import ClusterProtocol
import ClusterState
import EngineKit
import EventSources

/// NATS JetStream's rules (a meta group of servers, one raft group per
/// stream): its step-down preview, the weight of its servers' states and
/// of its cluster problems, and its `[clusters.X]` keys.
public struct JetStreamRules: EngineRules {
    public static let name: EngineName = "nats"
    /// What its lag figures count.
    public static let lagUnit = "raft entries"

    public init() {}

    public var name: EngineName { Self.name }
    public var takes: String { "`nats` (nats:// URLs of the servers, with system-account credentials)" }
    /// Servers, roles, meta lag in raft entries, streams as partitions.
    public var provides: SourceCapabilities { [.roles, .lag, .assignments, .migrations, .promote, .stepDown, .migrate] }

    public func preview(candidate: String, in state: ClusterState, limits: PreviewLimits) -> PromotionVerdict {
        JetStreamPreview.evaluate(candidate: candidate, state: state, limits: limits)
    }

    public func promotionNote(in state: ClusterState) -> [String] {
        [
            "the meta leader steps down; nats-server 2.11 and later hand it to the server chosen,",
            "older servers (Debian's 2.9) elect one themselves, maybe another",
        ]
    }

    /// A stream's leader stepping down, on what the dashboard holds: the
    /// stream has a leader, it answers, the meta quorum is there. Whether a
    /// replica is current (and so the stream's quorum) the source checks
    /// from the leader's own view before it sends.
    public func stepDownPreview(of partition: PartitionAssignment, in state: ClusterState) -> [PreviewCheck] {
        let name = partition.name ?? "partition \(partition.id)"
        guard let leader = partition.worker else { return [PreviewCheck(false, "\(name) has no leader: nothing to step down")] }
        var checks = [PreviewCheck(true, "\(name) is led by \(leader)")]
        let health = state.nodes[leader]?.info.health
        checks.append(PreviewCheck(health == .healthy, "\(leader) is \(state.nodes[leader]?.info.engine?.state ?? "not a server seen")"))
        let q = state.quorum
        checks.append(PreviewCheck(q.present, "\(q.serviceable) of \(q.members) servers answer (\(q.needed) needed for the meta group)"))
        return checks
    }

    public var stepDownNote: [String] {
        [
            "nats-server picks the next leader among the current replicas;",
            "clusterdash first checks that one is current (the leader's view)",
        ]
    }

    /// Streams move to the servers of a placement tag (`az:2`).
    public var namedMoves: NamedMoves? {
        NamedMoves(
            partitionWord: "stream", targetWord: "placement tag",
            targets: { state in
                Set(state.nodes.values.flatMap { n in (n.info.engine?.tags ?? []).filter { $0.key != "version" }.map(\.key) }).sorted()
            },
            about: [
                "The stream's placement tags become the one chosen:",
                "nats-server adds peers on the servers carrying it,",
                "they catch up, then the old peers leave.",
            ],
            whileMoving: "stays writable while its new peers catch up")
    }

    /// Servers that one more failure would leave without a meta quorum.
    public func redundancyLost(in state: ClusterState) -> [String] {
        let q = state.quorum
        guard q.members > 0, q.present, q.serviceable - 1 < q.needed else { return [] }
        return ["\(q.serviceable) of \(q.members) servers answer: one more failure and JetStream has no meta leader (no stream changes)"]
    }

    public func severity(ofState state: String) -> LogSeverity? {
        if state.contains("no meta leader") || state.contains("no leader:") || state.contains("quorum lost") || state.hasPrefix("no answer")
            || state.hasPrefix("shut down")
        {
            return .critical
        }
        if state.hasPrefix("unhealthy") || state.contains("under-replicated") || state.hasPrefix("answers, but") { return .warning }
        if state.hasPrefix("running") || state.hasPrefix("account view") { return .notice }
        return nil
    }

    /// The advisories the source notes: a lost quorum is critical, a
    /// shutdown a warning, an election a notice.
    public func severity(ofNotice kind: String) -> LogSeverity? {
        switch kind {
        case "stream_quorum_lost": .critical
        case "server_shutdown": .warning
        default: nil
        }
    }

    public var watchersWord: String { "servers" }

    public func quorumWords(seeing: Int64, known: Int64, quorum: Int64) -> String {
        "servers \(seeing)/\(known) answer, meta quorum \(quorum)"
    }

    public var configKeys: [String] { ["nats", "auth_env", "stream_auth_env"] }

    public func settings(from t: ClusterTable) throws(ConfigError) -> any EngineSettings {
        guard t.has("nats"), let urls = try t.stringArray("nats") else {
            throw t.error("nats", "missing: engine nats needs at least one server's nats:// URL")
        }
        if urls.isEmpty { throw t.error("nats", "empty: give at least one nats:// URL") }
        for (i, url) in urls.enumerated() {
            if let why = JetStreamSettings.problem(url) { throw t.reader.error(field: "\(t.at).nats[\(i)]", why) }
        }
        var s = JetStreamSettings(urls: urls)
        s.authEnv = try t.string("auth_env")
        s.streamAuthEnv = try t.string("stream_auth_env")
        return s
    }
}

/// A NATS JetStream cluster to watch: its servers' URLs (any one will do)
/// and the variable holding system-account credentials.
public struct JetStreamSettings: EngineSettings, Equatable {
    public var engine: EngineName { JetStreamRules.name }
    public var urls: [String]
    /// The variable holding `user:password` (or a token); without it,
    /// CLUSTERDASH_NATS_USER/_PASSWORD or _TOKEN as for the stream transport.
    public var authEnv: String?
    /// The variable holding the streams' account's `user:password` (or a
    /// token), for `step_down` and `migrate` on a stream when `authEnv`
    /// names the system account's.
    public var streamAuthEnv: String?
    public var readOnly = false

    public init(urls: [String]) { self.urls = urls }

    /// Why `url` is not a server's `nats://host:port`; nil when it is.
    public static func problem(_ url: String) -> String? { HostPort.natsURLProblem(url) }
}
