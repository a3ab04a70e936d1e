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
