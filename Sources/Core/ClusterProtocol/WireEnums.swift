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
