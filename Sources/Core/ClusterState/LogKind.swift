import ClusterProtocol

/// What a failover-log line is about, typed: alerts, the incident view and
/// the bundle read this, never the wire `type` string.
public enum LogKind: Sendable, Hashable {
    case snapshot
    case nodeJoined(node: String)
    case nodeLeft(node: String)
    case roleChanged(node: String, from: NodeRole, to: NodeRole, term: Int64)
    /// Two or more nodes claim primary at once.
    case splitBrain(primaries: [String])
    case healthChanged(node: String, to: NodeHealth)
    case stateChanged(node: String)
    case electionStarted(term: Int64, candidate: String)
    case leaderElected(term: Int64, leader: String)
    case followerStatus(follower: String, connected: Bool)
    case assignmentPublished(version: Int64)
    case assignmentMoved(version: Int64)
    case migrationStarted(id: String)
    case migrationProgress(id: String)
    case migrationCompleted(id: String)
    case migrationFailed(id: String)
    case migrationCancelled(id: String)
    case promotionRequested(requestID: String, candidate: String)
    case promotionValidated(requestID: String, candidate: String)
    case promotionDenied(requestID: String, candidate: String)
    case authorityTransferred(oldPrimary: String?, newPrimary: String, term: Int64)
    case demoted(node: String, cause: DemotionCause, term: Int64)
    case inhibited
    case suppressed(node: String)
    case commandResult(requestID: String?, status: CommandStatus)
    /// The engine's cluster-wide state (pause, a scheduled switchover).
    case engineStatus
    /// A node's engine state, tags or pending restart.
    case nodeUpdated(node: String)
    /// A new entry of the engine's leader history.
    case engineHistory
    case engineNotice(kind: String)
    /// A stretch of history never received.
    case historyLost
    case unknown(type: String)
    case other

    /// The kind of the line an event makes.
    public init(_ event: Event) {
        switch event {
        case .snapshot: self = .snapshot
        case .nodeJoined(let d): self = .nodeJoined(node: d.node.id)
        case .nodeLeft(let d): self = .nodeLeft(node: d.node)
        case .roleChanged(let d): self = .roleChanged(node: d.node, from: d.from, to: d.to, term: d.term)
        case .healthChanged(let d): self = .healthChanged(node: d.node, to: d.to)
        case .stateChanged(let d): self = .stateChanged(node: d.node)
        case .electionStarted(let d): self = .electionStarted(term: d.term, candidate: d.candidate)
        case .leaderElected(let d): self = .leaderElected(term: d.term, leader: d.leader)
        case .followerStatus(let d): self = .followerStatus(follower: d.follower, connected: d.status == .connected)
        case .assignmentPublished(let d): self = .assignmentPublished(version: d.version)
        case .assignmentMoved(let d): self = .assignmentMoved(version: d.version)
        case .migrationStarted(let d): self = .migrationStarted(id: d.migration.migrationID)
        case .migrationProgress(let d): self = .migrationProgress(id: d.migrationID)
        case .migrationCompleted(let d): self = .migrationCompleted(id: d.migrationID)
        case .migrationFailed(let d): self = .migrationFailed(id: d.migrationID)
        case .migrationCancelled(let d): self = .migrationCancelled(id: d.migrationID)
        case .promotionRequested(let d): self = .promotionRequested(requestID: d.requestID, candidate: d.candidate)
        case .promotionValidated(let d): self = .promotionValidated(requestID: d.requestID, candidate: d.candidate)
        case .promotionDenied(let d): self = .promotionDenied(requestID: d.requestID, candidate: d.candidate)
        case .authorityTransferred(let d): self = .authorityTransferred(oldPrimary: d.oldPrimary, newPrimary: d.newPrimary, term: d.term)
        case .demoted(let d): self = .demoted(node: d.node, cause: d.cause, term: d.term)
        case .inhibited: self = .inhibited
        case .stateChangeSuppressed(let d): self = .suppressed(node: d.node)
        case .commandResult(let d): self = .commandResult(requestID: d.requestID, status: d.status)
        case .engineStatus: self = .engineStatus
        case .nodeUpdated(let d): self = .nodeUpdated(node: d.node.id)
        case .failoverHistory: self = .engineHistory
        case .engineNotice(let d): self = .engineNotice(kind: String(d.kind.prefix(40)))
        case .unknown(let type, _): self = .unknown(type: String(type.prefix(80)))
        case .replicationLag, .replicationLagBytes, .heartbeat: self = .other
        }
    }

    /// A word to search for in the log filter (`demoted`, `elected`, …).
    public var searchName: String {
        switch self {
        case .snapshot: "snapshot"
        case .nodeJoined: "joined"
        case .nodeLeft: "left"
        case .roleChanged: "role"
        case .splitBrain: "split-brain"
        case .healthChanged: "health"
        case .stateChanged: "state"
        case .electionStarted: "election"
        case .leaderElected: "elected"
        case .followerStatus: "follower"
        case .assignmentPublished, .assignmentMoved: "assignment"
        case .migrationStarted, .migrationProgress, .migrationCompleted, .migrationFailed, .migrationCancelled: "migration"
        case .promotionRequested, .promotionValidated, .promotionDenied: "promotion"
        case .authorityTransferred: "authority"
        case .demoted: "demoted"
        case .inhibited: "inhibited"
        case .suppressed: "suppressed"
        case .commandResult: "command"
        case .engineStatus: "engine"
        case .nodeUpdated: "state"
        case .engineHistory: "timeline"
        case .engineNotice: "engine"
        case .historyLost: "lost"
        case .unknown: "unknown"
        case .other: ""
        }
    }

    /// A change of who leads: a demotion or a transfer of authority.
    public var isLeadershipChange: Bool {
        switch self {
        case .demoted, .authorityTransferred: true
        default: false
        }
    }

    /// Belongs in an incident timeline (not progress, lag or snapshots).
    public var isTimelineWorthy: Bool {
        switch self {
        case .roleChanged, .splitBrain, .demoted, .promotionRequested, .promotionValidated, .promotionDenied, .authorityTransferred,
            .inhibited, .electionStarted, .leaderElected, .nodeLeft, .nodeJoined, .healthChanged, .migrationStarted,
            .migrationCompleted, .migrationFailed, .migrationCancelled, .assignmentPublished, .commandResult, .followerStatus,
            .engineStatus, .nodeUpdated, .engineHistory, .engineNotice, .historyLost:
            true
        default: false
        }
    }
}
