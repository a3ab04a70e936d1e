import ClusterProtocol
import ClusterState
import EventSources

/// What an engine is, as far as a screen needs to know: the rules that run
/// wherever its stream is shown (a dashboard with its own connector, behind
/// `clusterdash gateway`, over NATS, in `replay`), found by the engine name
/// the stream carries; and how its `[clusters.X]` table reads. Pure: no I/O.
/// The engine's connector (its I/O) lives in a target of its own.
public protocol EngineRules: Sendable {
    /// The name as the wire and the config carry it.
    var name: EngineName { get }
    /// What the config's keys and the flags name, for help and errors
    /// ("`patroni` (REST URLs)").
    var takes: String { get }
    /// What the engine tells and which commands it takes, for a stream that
    /// does not say (its `engine.status` names neither `provides` nor `accepts`).
    var provides: SourceCapabilities { get }

    // MARK: Promotion

    /// The promotion preview for one candidate: every check, the first
    /// failing one the rejection. The engine's own answer stays the word
    /// that counts.
    func preview(candidate: String, in state: ClusterState, limits: PreviewLimits) -> PromotionVerdict
    /// Lines said above the candidates, when choosing one means something
    /// else here (an engine that picks its own replica).
    func promotionNote(in state: ClusterState) -> [String]
    /// The ways a promotion of `candidate` can be sent, the default first;
    /// empty or one: no choice (the dialog's `t` toggles between two).
    func promotionModes(candidate: String, in state: ClusterState) -> [PromotionMode]
    /// What `t` chooses between, for the key help, where the engine offers two ways.
    var promotionModesHelp: String? { get }

    // MARK: Redundancy

    /// Where one more failure would lose data or quorum, each in words
    /// naming what would be lost (empty: redundancy is intact).
    func redundancyLost(in state: ClusterState) -> [String]
    /// Whether the members' majority decides (a quorum to show and to
    /// alarm on); false where replication elects nobody and the primary is
    /// whom the operator makes it (MySQL's).
    var decidesByMajority: Bool { get }

    // MARK: Migration

    /// Set when a tenant is named freely rather than chosen from a list
    /// (an engine of hash slots): how a typed name finds its partition.
    var typedTenants: TypedTenants? { get }
    /// Set where named partitions are moved to a placement rather than
    /// tenants to a region (NATS JetStream's streams, by placement tag):
    /// what the migration dialog lists and says.
    var namedMoves: NamedMoves? { get }

    // MARK: Partition leaders

    /// The checks shown before a partition's leader steps down
    /// (`step_down`), on the facts the dashboard holds, in the engine's
    /// words; the engine's own answer stays the word that counts.
    func stepDownPreview(of partition: PartitionAssignment, in state: ClusterState) -> [PreviewCheck]
    /// What the step-down dialog says of who picks the next leader.
    var stepDownNote: [String] { get }
    /// Why a command key does nothing, where the engine takes none at all
    /// ("Parti decides alone"); said after the dashboard's own refusal.
    var noCommandsNote: String? { get }

    // MARK: Words

    /// How bad a node's engine state is (nil: a warning).
    func severity(ofState state: String) -> LogSeverity?
    /// How bad a notice the engine announced is (nil: a notice).
    func severity(ofNotice kind: String) -> LogSeverity?
    /// What the engine's voting watchers are called ("sentinels"), where it has them.
    var watchersWord: String { get }
    /// The Nodes pane's quorum line where the engine counts its own
    /// (`quorum` in its status): `seeing` of `known` watchers or voters
    /// answer for the primary, `quorum` needed.
    func quorumWords(seeing: Int64, known: Int64, quorum: Int64) -> String

    // MARK: Config

    /// The keys of a `[clusters.X]` table that only this engine reads (the
    /// common ones, `engine`, `theme`, `read_only`, the thresholds, are
    /// everyone's).
    var configKeys: [String] { get }
    /// Its settings from its table: every error names the file, line and field.
    func settings(from table: ClusterTable) throws(ConfigError) -> any EngineSettings
}

extension EngineRules {
    public var provides: SourceCapabilities { SourceCapabilities.all.subtracting(.stepDown) }
    public func promotionNote(in state: ClusterState) -> [String] { [] }
    public func promotionModes(candidate: String, in state: ClusterState) -> [PromotionMode] { [] }
    public var promotionModesHelp: String? { nil }
    public func redundancyLost(in state: ClusterState) -> [String] { [] }
    public var decidesByMajority: Bool { true }
    public var typedTenants: TypedTenants? { nil }
    public var namedMoves: NamedMoves? { nil }
    public func stepDownPreview(of partition: PartitionAssignment, in state: ClusterState) -> [PreviewCheck] { [] }
    public var stepDownNote: [String] { [] }
    public var noCommandsNote: String? { nil }
    public func severity(ofState state: String) -> LogSeverity? { nil }
    public func severity(ofNotice kind: String) -> LogSeverity? { nil }
    public var watchersWord: String { "watchers" }
    public func quorumWords(seeing: Int64, known: Int64, quorum: Int64) -> String {
        "\(watchersWord) \(seeing)/\(known) see it, quorum \(quorum)"
    }
}

/// The limits a preview checks against (the dashboard's thresholds).
public struct PreviewLimits: Sendable, Hashable {
    /// The wall time the preview is made at.
    public var now: Timestamp
    /// The largest lag in milliseconds a candidate may have.
    public var lagLimitMillis: Int64
    /// The largest lag in bytes (nil: the engine's own limit, or its default).
    public var lagLimitBytes: Int64?
    /// The largest lag in transactions (nil: the engine's default).
    public var lagLimitTransactions: Int64?

    public init(
        now: Timestamp, lagLimitMillis: Int64 = PromotionValidator.defaultLagLimitMillis, lagLimitBytes: Int64? = nil,
        lagLimitTransactions: Int64? = nil
    ) {
        self.now = now
        self.lagLimitMillis = lagLimitMillis
        self.lagLimitBytes = lagLimitBytes
        self.lagLimitTransactions = lagLimitTransactions
    }
}

/// One way to send a promotion (`mode` of the `promote` op), as the dialog
/// spells it out.
public struct PromotionMode: Sendable, Hashable {
    /// As the op carries it (`force`).
    public var wire: String
    /// As the dialog shows it (`FORCE`).
    public var label: String
    /// What it does, in a few words.
    public var detail: String
    /// Drawn as a danger (it skips a safety).
    public var dangerous: Bool

    public init(wire: String, label: String, detail: String, dangerous: Bool = false) {
        self.wire = wire
        self.label = label
        self.detail = detail
        self.dangerous = dangerous
    }
}

/// Tenants named freely rather than chosen from a list, and moved to a
/// node rather than a region (an engine of hash slots): how a typed name
/// finds its partition, and the words the migration dialog says.
public struct TypedTenants: Sendable {
    /// The partition `name` lives in; nil when it names none.
    public var partition: @Sendable (_ name: String) -> Int?
    /// What a tenant is here ("a hash tag or slot N").
    public var what: String
    /// The hint while nothing is typed ("type a hash tag ({tenant-42}) or slot N").
    public var hint: String
    /// Why a typed name means no partition.
    public var refusal: @Sendable (_ name: String) -> String
    /// A partition's name ("slot"), and a target's ("master").
    public var partitionWord: String
    public var targetWord: String
    /// A few lines on what moving a tenant moves.
    public var about: [String]
    /// What clients see while it moves.
    public var whileMoving: String

    public init(
        partition: @escaping @Sendable (String) -> Int?, what: String, hint: String, refusal: @escaping @Sendable (String) -> String,
        partitionWord: String, targetWord: String, about: [String], whileMoving: String
    ) {
        self.partition = partition
        self.what = what
        self.hint = hint
        self.refusal = refusal
        self.partitionWord = partitionWord
        self.targetWord = targetWord
        self.about = about
        self.whileMoving = whileMoving
    }
}

/// Named partitions moved to a placement (NATS JetStream's streams, by
/// placement tag): the targets the dialog offers and its words.
public struct NamedMoves: Sendable {
    /// A partition's name ("stream"), and a target's ("placement tag").
    public var partitionWord: String
    public var targetWord: String
    /// The targets there are now (the servers' tags).
    public var targets: @Sendable (ClusterState) -> [String]
    /// A few lines on what a move does.
    public var about: [String]
    /// What clients see while it moves.
    public var whileMoving: String

    public init(
        partitionWord: String, targetWord: String, targets: @escaping @Sendable (ClusterState) -> [String], about: [String],
        whileMoving: String
    ) {
        self.partitionWord = partitionWord
        self.targetWord = targetWord
        self.targets = targets
        self.about = about
        self.whileMoving = whileMoving
    }
}

/// One check shown before a command, in the engine's words.
public struct PreviewCheck: Sendable, Hashable {
    public var ok: Bool
    public var detail: String

    public init(_ ok: Bool, _ detail: String) {
        self.ok = ok
        self.detail = detail
    }
}
