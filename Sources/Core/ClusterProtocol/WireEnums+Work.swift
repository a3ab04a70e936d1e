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
