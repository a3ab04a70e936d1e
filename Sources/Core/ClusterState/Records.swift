import ClusterProtocol
import DequeModule

/// What the dashboard knows of one node.
public struct NodeRecord: Sendable, Hashable {
    public var info: NodeInfo
    /// Newest timestamp of an event this node sent (its own stream).
    public var lastHeard: Timestamp?
    public var consecutiveFailures: Int64 = 0
    public var healthDetail: String?
    /// Set when the node left the cluster; it stays listed, marked, for a while.
    public var departure: Departure?
    /// The assignment version the node last said it works from (heartbeats).
    public var assignmentVersion: Int64?

    public struct Departure: Sendable, Hashable {
        public var reason: LeaveReason
        public var at: Timestamp
    }

    public init(info: NodeInfo, lastHeard: Timestamp? = nil) {
        self.info = info
        self.lastHeard = lastHeard
    }

    public var id: String { info.id }
    public var isPresent: Bool { departure == nil }

    /// Whether the node counts as a member for quorum. A node that left, for
    /// whatever reason, is out of the membership (the simulator agrees).
    public var isMember: Bool { departure == nil }

    /// Counts towards quorum: present, and healthy or suspect.
    public var servesQuorum: Bool { isPresent && info.health.isServiceable }
}

/// One lag sample of a follower, in its follower's unit (`FollowerRecord.unit`).
public struct LagSample: Sendable, Hashable {
    public var at: Timestamp
    public var value: Int64
    /// The millisecond figure of a time-lag sample (v1's `lag_ms`).
    public var lagMillis: Int64 { value }
}

/// What a follower's lag figures count.
public enum LagUnit: Sendable, Hashable {
    /// Time behind (protocol v1's `lag_ms`).
    case millis
    /// Data behind, counted in the engine's unit (`ClusterState.lagCountUnit`):
    /// bytes (WAL, replication offsets) or transactions (a GTID gap).
    case counted
}

/// Replication as seen for one follower.
public struct FollowerRecord: Sendable, Hashable {
    public var follower: String
    public var leader: String?
    public var lagMillis: Int64?
    public var lagEntries: Int64?
    public var walPosition: Int64?
    /// What `history` and the shown figure count: the engine's unit for
    /// engines that count data behind (then `lagBytes` and `lagState` hold
    /// the figure, in bytes or transactions).
    public var unit: LagUnit = .millis
    public var lagBytes: Int64?
    public var lagState: LagState?
    public var status: FollowerConnection = .connected
    /// When the current status began (from the event, else its timestamp).
    public var statusSince: Timestamp?
    public var lastSampleAt: Timestamp?
    /// Recent samples, oldest first, bounded by count and by age.
    public var history: Deque<LagSample> = []

    public init(follower: String) {
        self.follower = follower
    }

    public var isConnected: Bool {
        if case .disconnected = status { return false }
        return true
    }

    /// Takes one lag sample; the history keeps `limits.lagHistorySamples`
    /// samples at most, none older than `limits.lagHistoryMillis`.
    mutating func record(_ d: ReplicationLag, at t: Timestamp, limits: StateLimits) {
        leader = d.leader
        lagMillis = d.lagMillis
        lagEntries = d.lagEntries
        walPosition = d.walPosition
        lastSampleAt = t
        append(LagSample(at: t, value: d.lagMillis), limits: limits)
    }

    /// Takes one byte-lag sample; a figure that is not measured (unknown,
    /// ahead, starting) is held as the state, with no sample in the history.
    mutating func record(_ d: ReplicationLagBytes, at t: Timestamp, limits: StateLimits) {
        leader = d.leader
        unit = .counted
        lagState = d.state
        lagBytes = d.state == .measured ? d.lagBytes : nil
        lastSampleAt = t
        if let v = lagBytes { append(LagSample(at: t, value: v), limits: limits) }
    }

    private mutating func append(_ sample: LagSample, limits: StateLimits) {
        let t = sample.at
        history.append(sample)
        while history.count > limits.lagHistorySamples { history.removeFirst() }
        while let first = history.first, t.millis(since: first.at) > limits.lagHistoryMillis {
            history.removeFirst()
        }
    }
}
