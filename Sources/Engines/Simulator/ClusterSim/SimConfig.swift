import ClusterProtocol

/// Everything that shapes a simulated cluster. Same config, same seed, same
/// start time and the same inputs give the same event stream.
public struct SimConfig: Sendable, Hashable {
    public var clusterName = "sim"
    public var nodes = 5
    public var partitions = 256
    public var tenants = 8
    public var regions = ["us-east", "eu-west", "ap-south"]
    public var strategy: AssignmentStrategy = .consistentHash
    public var seed: UInt64 = 1
    /// Background lag samples per second, spread over the followers.
    /// Nil: one sample per follower per second.
    public var rate: Double?
    /// Heartbeat period of every node.
    public var heartbeatMillis: Int64 = 1_000
    /// Time between the steps of a node's start-up walk.
    public var startupStepMillis: Int64 = 250
    /// Stabilisation windows of the calculator.
    public var coldStartWindowMillis: Int64 = 30_000
    public var plannedScaleWindowMillis: Int64 = 10_000
    /// Failover inhibit window after a promotion or failover.
    public var inhibitMillis: Int64 = 30_000
    /// The promotion lag limit (candidate_caught_up).
    public var promotionLagLimitMillis: Int64 = 5_000
    /// A migration running longer fails with `timeout`.
    public var migrationTimeoutMillis: Int64 = 300_000
    /// WAL entries drained per second during a migration.
    public var drainEntriesPerSecond: Int64 = 2_000
    /// Pause between migration phases other than draining.
    public var migrationStepMillis: Int64 = 600
    /// Delay between a promotion's validation and the authority transfer.
    public var promotionTransferMillis: Int64 = 400
    /// Scripted trouble every minute or so (`--demo-faults`).
    public var demoFaults = false
    /// When the first act of the demo faults comes.
    public var demoStartMillis: Int64 = 15_000
    /// Simulation tick: background activity is produced at this granularity.
    public var tickMillis: Int64 = 100

    public init() {}

    public var nodeIDs: [String] { (1...max(1, nodes)).map { "node-\($0)" } }

    static let tenantNames = [
        "acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne", "wonka", "tyrell", "cyberdyne",
        "soylent", "oscorp", "aperture", "vandelay", "dunder", "pied-piper",
    ]

    public var tenantNames: [String] {
        (0..<max(0, tenants)).map { i in
            let base = SimConfig.tenantNames[i % SimConfig.tenantNames.count]
            return i < SimConfig.tenantNames.count ? base : "\(base)-\(i / SimConfig.tenantNames.count + 1)"
        }
    }
}

/// Trouble the simulator can be told to cause.
public enum Fault: Sendable, Hashable {
    /// A follower's lag jumps to `millis` and decays back after `durationMillis`.
    case lagSpike(node: String, millis: Int64, durationMillis: Int64)
    /// The node dies: `node.left` crashed, an emergency rebalance, and an
    /// election when it was the primary.
    case crash(node: String)
    /// A crashed node comes back: it joins, walks its start-up states, and a
    /// planned rebalance gives it partitions.
    case restart(node: String)
    /// The node's health checks fail step by step down to unhealthy; a primary
    /// is demoted for health. Recovers after `durationMillis` (nil: stays).
    case degrade(node: String, durationMillis: Int64?)
    /// Health back to healthy.
    case recover(node: String)
    /// A majority becomes unreachable: the primary is demoted for quorum loss;
    /// after `durationMillis` they return and an election follows.
    case quorumLoss(durationMillis: Int64)
    /// A follower loses its WAL stream for `durationMillis` (nil: until reconnected).
    case disconnect(node: String, durationMillis: Int64?)
    case reconnect(node: String)
    /// A repeated state change, reported as suppressed.
    case suppressedRepeat(node: String?)

    /// The fault's name in scenario files.
    public var name: String {
        switch self {
        case .lagSpike: "lag_spike"
        case .crash: "crash"
        case .restart: "restart"
        case .degrade: "degrade"
        case .recover: "recover"
        case .quorumLoss: "quorum_loss"
        case .disconnect: "disconnect"
        case .reconnect: "reconnect"
        case .suppressedRepeat: "suppressed"
        }
    }
}
