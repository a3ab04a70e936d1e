import ClusterProtocol

/// What a failover-log line says, as facts: the reducer records these and the
/// dashboard makes the English sentence (`LogEntry.text` in Dashboard), so
/// the words can change without touching the state core. Each case holds
/// only what its sentence needs (never a whole partition table).
public enum LogFacts: Sendable, Hashable {
    case snapshot(cluster: String, nodes: Int, term: Int64, primaries: [String])
    case joined(node: String, role: NodeRole, region: String?)
    case left(node: String, reason: LeaveReason)
    case roleChanged(node: String, from: NodeRole, to: NodeRole, term: Int64, reason: String?)
    case splitBrain(primaries: [String])
    case health(node: String, from: NodeHealth, to: NodeHealth, failedChecks: Int64, detail: String?)
    case managerState(node: String, from: ManagerState, to: ManagerState, reason: RebalanceReason?, windowMillis: Int64?)
    case electionStarted(term: Int64, candidate: String)
    case leaderElected(leader: String, term: Int64, votes: Int64)
    case followerStatus(follower: String, status: FollowerConnection, connected: Bool)
    case assignmentPublished(
        version: Int64, strategy: AssignmentStrategy, partitions: Int, moved: Int, reason: RebalanceReason?, duplicates: Int)
    case assignmentMoved(version: Int64, moves: Int, baseVersion: Int64)
    case migrationStarted(id: String, tenant: String, source: String, target: String, dryRun: Bool)
    /// Progress for a migration this state never saw start.
    case migrationProgressUnknown(id: String)
    case migrationPhase(id: String, tenant: String, phase: MigrationPhase)
    /// `tenant`/`region` are nil when the migration was never seen to start.
    case migrationCompleted(id: String, tenant: String?, region: String?, durationMillis: Int64?, dryRun: Bool)
    case migrationFailed(id: String, phase: MigrationPhase?, reason: String)
    case migrationCancelled(id: String, by: String?)
    case promotionRequested(candidate: String, by: String?, requestID: String)
    case promotionValidated(candidate: String, passed: Int, checks: Int)
    /// A promotion that ended (denied or completed), as its record then stood.
    case promotionEnded(PromotionRecord)
    case authority(oldPrimary: String?, newPrimary: String, term: Int64)
    case demoted(node: String, cause: DemotionCause, term: Int64)
    case inhibited(until: Timestamp, reason: String?)
    case suppressed(node: String, state: String)
    case command(op: String?, requestID: String?, status: CommandStatus, reason: String?)
    case paused(Bool)
    case switchoverScheduled(ScheduledSwitchover)
    case switchoverCleared
    case feed(String)
    case engineState(node: String, from: String, to: String)
    case pendingRestart(node: String, pending: Bool)
    case tags(node: String, [JSONField])
    case timelineEnded(term: Int64, leader: String?, reason: String?)
    case engineNotice(from: String?, kind: String, text: String)
    /// Events never received (`LostHistory`): the log shows the hole.
    case historyLost(LostHistory)
    case unknownType(String)
}
