import ClusterProtocol
import ClusterState
import EngineKit
import EventSources

/// Parti's rules: a partition manager that decides alone. clusterdash only
/// reads its buckets, so no promotion or move is ever sent: the preview
/// says so for every candidate.
public struct PartiRules: EngineRules {
    public static let name: EngineName = "parti"

    public init() {}

    public var name: EngineName { Self.name }
    public var takes: String { "`parti` (nats:// URLs of the NATS servers holding Parti's buckets)" }
    /// Workers, their leader and Parti's assignment table; no lag, no commands.
    public var provides: SourceCapabilities { [.roles, .assignments] }

    public func preview(candidate: String, in state: ClusterState, limits: PreviewLimits) -> PromotionVerdict {
        var v = VerdictBuilder()
        v.record(
            .notInhibited, false, "Parti elects its leader and places partitions alone: clusterdash only reads its buckets",
            .failoverInhibited)
        return v.verdict
    }

    public var noCommandsNote: String? { "Parti decides alone (its election key and its calculator); clusterdash only reads its buckets" }

    public func promotionNote(in state: ClusterState) -> [String] {
        ["Parti decides alone (its election key and its calculator): nothing is sent"]
    }

    public func severity(ofState state: String) -> LogSeverity? {
        if state.hasPrefix("gone") || state.contains("gone with") || state.hasPrefix("no leader") { return .critical }
        if state.hasPrefix("working") || state.hasPrefix("waiting for an assignment") { return .notice }
        return nil
    }

    public var decidesByMajority: Bool { false }

    public var configKeys: [String] { ["parti", "bucket_prefix", "auth_env"] }

    public func settings(from t: ClusterTable) throws(ConfigError) -> any EngineSettings {
        guard t.has("parti"), let urls = try t.stringArray("parti") else {
            throw t.error("parti", "missing: engine parti needs at least one NATS server's nats:// URL")
        }
        if urls.isEmpty { throw t.error("parti", "empty: give at least one nats:// URL") }
        for (i, url) in urls.enumerated() {
            if let why = PartiSettings.problem(url) { throw t.reader.error(field: "\(t.at).parti[\(i)]", why) }
        }
        var s = PartiSettings(urls: urls)
        if let prefix = try t.string("bucket_prefix") {
            if let why = PartiSettings.prefixProblem(prefix) { throw t.error("bucket_prefix", why) }
            s.bucketPrefix = prefix
        }
        s.authEnv = try t.string("auth_env")
        return s
    }
}

/// A Parti deployment: the NATS servers holding its buckets, the buckets'
/// prefix and the variable holding NATS credentials.
public struct PartiSettings: EngineSettings, Equatable {
    public var engine: EngineName { PartiRules.name }
    public var urls: [String]
    /// `parti` gives `parti-stableid`, `parti-election`, `parti-heartbeat`, `parti-assignment`.
    public var bucketPrefix = "parti"
    public var authEnv: String?
    public var readOnly = true

    public init(urls: [String]) { self.urls = urls }

    /// Why `url` is not a server's `nats://host:port`; nil when it is.
    public static func problem(_ url: String) -> String? { HostPort.natsURLProblem(url) }

    /// Why a bucket prefix cannot name KV buckets; nil when it can.
    public static func prefixProblem(_ prefix: String) -> String? {
        let allowed = prefix.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
        return !prefix.isEmpty && allowed ? nil : "a KV bucket prefix is letters, digits, - and _"
    }
}
