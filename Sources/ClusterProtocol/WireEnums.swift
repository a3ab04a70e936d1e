// The string enumerations of protocol v1. Each keeps unknown values as
// `.other(text)`: a newer server may add a value, and the dashboard must show
// it rather than drop the frame.

/// A node's role. `primary` is the single writer.
public enum NodeRole: WireEnum {
    case primary, replica, candidate, unknown
    case other(String)

    public init(wire: String) {
        switch wire {
        case "primary": self = .primary
        case "replica": self = .replica
        case "candidate": self = .candidate
        case "unknown": self = .unknown
        default: self = .other(wire)
        }
    }

    public var wire: String {
        switch self {
        case .primary: "primary"
        case .replica: "replica"
        case .candidate: "candidate"
        case .unknown: "unknown"
        case .other(let s): s
        }
    }
}

/// A node's health, from best to worst.
public enum NodeHealth: WireEnum, Comparable {
    case healthy, suspect, degraded, unhealthy
    case other(String)

    public init(wire: String) {
        switch wire {
        case "healthy": self = .healthy
        case "suspect": self = .suspect
        case "degraded": self = .degraded
        case "unhealthy": self = .unhealthy
        default: self = .other(wire)
        }
    }

    public var wire: String {
        switch self {
        case .healthy: "healthy"
        case .suspect: "suspect"
        case .degraded: "degraded"
        case .unhealthy: "unhealthy"
        case .other(let s): s
        }
    }

    /// 0 (healthy) to 3 (unhealthy); an unknown value ranks as degraded.
    public var severity: Int {
        switch self {
        case .healthy: 0
        case .suspect: 1
        case .degraded, .other: 2
        case .unhealthy: 3
        }
    }

    public static func < (a: NodeHealth, b: NodeHealth) -> Bool { a.severity < b.severity }

    /// Whether a node in this state counts toward a healthy majority (quorum)
    /// and may be promoted: healthy, or suspect (a few checks failing).
    public var isServiceable: Bool { severity <= 1 }
}

/// The manager state machine of a worker (domain.md section 3).
public enum ManagerState: WireEnum {
    case initial, claimingID, election, waitingAssignment, stable, scaling, rebalancing, emergency, shutdown
    case other(String)

    public init(wire: String) {
        switch wire {
        case "init": self = .initial
        case "claiming_id": self = .claimingID
        case "election": self = .election
        case "waiting_assignment": self = .waitingAssignment
        case "stable": self = .stable
        case "scaling": self = .scaling
        case "rebalancing": self = .rebalancing
        case "emergency": self = .emergency
        case "shutdown": self = .shutdown
        default: self = .other(wire)
        }
    }

    public var wire: String {
        switch self {
        case .initial: "init"
        case .claimingID: "claiming_id"
        case .election: "election"
        case .waitingAssignment: "waiting_assignment"
        case .stable: "stable"
        case .scaling: "scaling"
        case .rebalancing: "rebalancing"
        case .emergency: "emergency"
        case .shutdown: "shutdown"
        case .other(let s): s
        }
    }
}

/// The assignment calculator's state on the leader.
public enum CalculatorState: WireEnum {
    case idle, scaling, rebalancing, emergency
    case other(String)

    public init(wire: String) {
        switch wire {
        case "idle": self = .idle
        case "scaling": self = .scaling
        case "rebalancing": self = .rebalancing
        case "emergency": self = .emergency
        default: self = .other(wire)
        }
    }

    public var wire: String {
        switch self {
        case .idle: "idle"
        case .scaling: "scaling"
        case .rebalancing: "rebalancing"
        case .emergency: "emergency"
        case .other(let s): s
        }
    }
}

/// Why a rebalance runs, which also sets its stabilisation window.
public enum RebalanceReason: WireEnum {
    case coldStart, plannedScale, restart, emergency
    case other(String)

    public init(wire: String) {
        switch wire {
        case "cold_start": self = .coldStart
        case "planned_scale": self = .plannedScale
        case "restart": self = .restart
        case "emergency": self = .emergency
        default: self = .other(wire)
        }
    }

    public var wire: String {
        switch self {
        case .coldStart: "cold_start"
        case .plannedScale: "planned_scale"
        case .restart: "restart"
        case .emergency: "emergency"
        case .other(let s): s
        }
    }

    /// The stabilisation window the domain gives this reason, in milliseconds.
    public var defaultWindowMillis: Int64? {
        switch self {
        case .coldStart, .restart: 30_000
        case .plannedScale: 10_000
        case .emergency: 0
        case .other: nil
        }
    }
}

/// Why a node left the cluster.
public enum LeaveReason: WireEnum {
    case shutdown, crashed, heartbeatExpired
    case other(String)

    public init(wire: String) {
        switch wire {
        case "shutdown": self = .shutdown
        case "crashed": self = .crashed
        case "heartbeat_expired": self = .heartbeatExpired
        default: self = .other(wire)
        }
    }

    public var wire: String {
        switch self {
        case .shutdown: "shutdown"
        case .crashed: "crashed"
        case .heartbeatExpired: "heartbeat_expired"
        case .other(let s): s
        }
    }
}

/// A partition assignment strategy.
public enum AssignmentStrategy: WireEnum {
    case consistentHash, roundRobin, weighted
    case other(String)

    public init(wire: String) {
        switch wire {
        case "consistent_hash": self = .consistentHash
        case "round_robin": self = .roundRobin
        case "weighted": self = .weighted
        default: self = .other(wire)
        }
    }

    public var wire: String {
        switch self {
        case .consistentHash: "consistent_hash"
        case .roundRobin: "round_robin"
        case .weighted: "weighted"
        case .other(let s): s
        }
    }
}

/// Whether a follower is connected to the primary's WAL stream.
public enum FollowerConnection: WireEnum {
    case connected, disconnected
    case other(String)

    public init(wire: String) {
        switch wire {
        case "connected": self = .connected
        case "disconnected": self = .disconnected
        default: self = .other(wire)
        }
    }

    public var wire: String {
        switch self {
        case .connected: "connected"
        case .disconnected: "disconnected"
        case .other(let s): s
        }
    }
}

/// The life cycle of a tenant migration.
public enum MigrationStatus: WireEnum {
    case pending, inProgress, completed, failed, cancelled
    case other(String)

    public init(wire: String) {
        switch wire {
        case "pending": self = .pending
        case "in_progress": self = .inProgress
        case "completed": self = .completed
        case "failed": self = .failed
        case "cancelled": self = .cancelled
        default: self = .other(wire)
        }
    }

    public var wire: String {
        switch self {
        case .pending: "pending"
        case .inProgress: "in_progress"
        case .completed: "completed"
        case .failed: "failed"
        case .cancelled: "cancelled"
        case .other(let s): s
        }
    }

    /// Completed, failed or cancelled: nothing more will happen.
    public var isFinished: Bool {
        switch self {
        case .completed, .failed, .cancelled: true
        default: false
        }
    }
}

/// The five steps of a tenant migration, in order.
public enum MigrationPhase: WireEnum, CaseIterable {
    case validating, pausingWrites, drainingWAL, updatingPlacement, resumingWrites
    case other(String)

    public static let allCases: [MigrationPhase] = [
        .validating, .pausingWrites, .drainingWAL, .updatingPlacement, .resumingWrites,
    ]

    public init(wire: String) {
        switch wire {
        case "validating": self = .validating
        case "pausing_writes": self = .pausingWrites
        case "draining_wal": self = .drainingWAL
        case "updating_placement": self = .updatingPlacement
        case "resuming_writes": self = .resumingWrites
        default: self = .other(wire)
        }
    }

    public var wire: String {
        switch self {
        case .validating: "validating"
        case .pausingWrites: "pausing_writes"
        case .drainingWAL: "draining_wal"
        case .updatingPlacement: "updating_placement"
        case .resumingWrites: "resuming_writes"
        case .other(let s): s
        }
    }

    /// Position in the five-step line (0...4), nil for an unknown phase.
    public var ordinal: Int? {
        MigrationPhase.allCases.firstIndex(of: self)
    }

    /// Whether the tenant's writes are paused during this phase.
    public var writesPaused: Bool {
        switch self {
        case .pausingWrites, .drainingWAL, .updatingPlacement: true
        default: false
        }
    }
}

/// The invariants a promotion must respect (domain.md section 2), in the
/// order the validator checks them.
public enum Invariant: WireEnum, CaseIterable {
    case candidateIsReplica, candidateHealthy, candidateCaughtUp, quorumPresent, notInhibited, singleWriter
    case other(String)

    public static let allCases: [Invariant] = [
        .candidateIsReplica, .candidateHealthy, .candidateCaughtUp, .quorumPresent, .notInhibited, .singleWriter,
    ]

    public init(wire: String) {
        switch wire {
        case "candidate_is_replica": self = .candidateIsReplica
        case "candidate_healthy": self = .candidateHealthy
        case "candidate_caught_up": self = .candidateCaughtUp
        case "quorum_present": self = .quorumPresent
        case "not_inhibited": self = .notInhibited
        case "single_writer": self = .singleWriter
        default: self = .other(wire)
        }
    }

    public var wire: String {
        switch self {
        case .candidateIsReplica: "candidate_is_replica"
        case .candidateHealthy: "candidate_healthy"
        case .candidateCaughtUp: "candidate_caught_up"
        case .quorumPresent: "quorum_present"
        case .notInhibited: "not_inhibited"
        case .singleWriter: "single_writer"
        case .other(let s): s
        }
    }
}

/// Why a primary was demoted.
public enum DemotionCause: WireEnum {
    case health, quorumLoss, gracefulHandoff, notElected
    case other(String)

    public init(wire: String) {
        switch wire {
        case "health": self = .health
        case "quorum_loss": self = .quorumLoss
        case "graceful_handoff": self = .gracefulHandoff
        case "not_elected": self = .notElected
        default: self = .other(wire)
        }
    }

    public var wire: String {
        switch self {
        case .health: "health"
        case .quorumLoss: "quorum_loss"
        case .gracefulHandoff: "graceful_handoff"
        case .notElected: "not_elected"
        case .other(let s): s
        }
    }

    /// Words for the failover log ("quorum lost").
    public var phrase: String {
        switch self {
        case .health: "health checks failed"
        case .quorumLoss: "quorum lost"
        case .gracefulHandoff: "graceful handoff"
        case .notElected: "another node won the election"
        case .other(let s): s
        }
    }
}

/// The status in a `command.result`.
public enum CommandStatus: WireEnum {
    case accepted, rejected, completed, failed
    case other(String)

    public init(wire: String) {
        switch wire {
        case "accepted": self = .accepted
        case "rejected": self = .rejected
        case "completed": self = .completed
        case "failed": self = .failed
        default: self = .other(wire)
        }
    }

    public var wire: String {
        switch self {
        case .accepted: "accepted"
        case .rejected: "rejected"
        case .completed: "completed"
        case .failed: "failed"
        case .other(let s): s
        }
    }
}

/// The deterministic rejection reasons of the contract.
public enum RejectionReason: String, Sendable, CaseIterable {
    case invalidRequest = "invalid_request"
    case unauthorized
    case readOnlyToken = "read_only_token"
    case unknownNode = "unknown_node"
    case notAReplica = "not_a_replica"
    case alreadyPrimary = "already_primary"
    case nodeUnhealthy = "node_unhealthy"
    case lagTooHigh = "lag_too_high"
    case noQuorum = "no_quorum"
    case failoverInhibited = "failover_inhibited"
    case unknownTenant = "unknown_tenant"
    case unknownRegion = "unknown_region"
    case sameRegion = "same_region"
    case migrationInProgress = "migration_in_progress"
    case unknownMigration = "unknown_migration"
    case migrationFinished = "migration_finished"
}
