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

/// One lag sample of a follower.
public struct LagSample: Sendable, Hashable {
    public var at: Timestamp
    public var lagMillis: Int64
}

/// Replication as seen for one follower.
public struct FollowerRecord: Sendable, Hashable {
    public var follower: String
    public var leader: String?
    public var lagMillis: Int64?
    public var lagEntries: Int64?
    public var walPosition: Int64?
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
        history.append(LagSample(at: t, lagMillis: d.lagMillis))
        while history.count > limits.lagHistorySamples { history.removeFirst() }
        while let first = history.first, t.millis(since: first.at) > limits.lagHistoryMillis {
            history.removeFirst()
        }
    }
}

/// Load of one worker in the current assignment.
public struct WorkerLoad: Sendable, Hashable {
    public var partitions: Int = 0
    public var weight: Double = 0
    /// Partitions that moved to this worker in the last rebalance.
    public var movedIn: Int = 0
}

/// The current partition assignment with what an operator checks of it.
public struct AssignmentState: Sendable, Hashable {
    public var version: Int64
    public var strategy: AssignmentStrategy
    public var reason: RebalanceReason?
    public var publishedAt: Timestamp?
    /// The table, in the order received.
    public private(set) var partitions: [PartitionAssignment]
    /// Partition id -> row in `partitions` (first occurrence).
    private var index: [Int64: Int]
    public private(set) var workers: [String: WorkerLoad]
    /// Rows whose worker is null.
    public private(set) var unassignedCount: Int
    /// Partition ids that appear more than once (duplicates), sorted.
    public private(set) var duplicateIDs: [Int64]
    /// How many partitions changed worker in the last rebalance (publish or delta).
    public var movedInLastRebalance: Int
    /// Which partitions changed worker in the last rebalance.
    public private(set) var movedPartitions: Set<Int64> = []
    /// Worker names in natural order (kept with the table, not sorted per frame).
    public private(set) var sortedWorkers: [String] = []

    public init(
        version: Int64, strategy: AssignmentStrategy, reason: RebalanceReason?, publishedAt: Timestamp?,
        partitions: [PartitionAssignment], previous: AssignmentState?
    ) {
        self.version = version
        self.strategy = strategy
        self.reason = reason
        self.publishedAt = publishedAt
        self.partitions = partitions
        var index: [Int64: Int] = [:]
        index.reserveCapacity(partitions.count)
        var duplicates: Set<Int64> = []
        var workers: [String: WorkerLoad] = [:]
        var unassigned = 0
        var moved = 0
        var movedIDs: Set<Int64> = []
        for (i, p) in partitions.enumerated() {
            if index[p.id] != nil {
                duplicates.insert(p.id)
            } else {
                index[p.id] = i
            }
            var changed = false
            if let previous, let old = previous.worker(of: p.id), old != p.worker {
                changed = true
                moved += 1
                movedIDs.insert(p.id)
            }
            if let w = p.worker {
                workers[w, default: WorkerLoad()].partitions += 1
                workers[w, default: WorkerLoad()].weight += p.weight
                if changed { workers[w, default: WorkerLoad()].movedIn += 1 }
            } else {
                unassigned += 1
            }
        }
        self.index = index
        self.workers = workers
        self.unassignedCount = unassigned
        self.duplicateIDs = duplicates.sorted()
        self.movedInLastRebalance = moved
        self.movedPartitions = movedIDs
        self.sortedWorkers = workers.keys.sorted(by: naturalLess)
    }

    /// The worker a partition is assigned to (nil when unassigned or unknown).
    public func worker(of partition: Int64) -> String? {
        guard let i = index[partition] else { return nil }
        return partitions[i].worker
    }

    public func contains(partition: Int64) -> Bool { index[partition] != nil }

    /// Applies a delta; moves of unknown partitions add them.
    mutating func apply(moves: [PartitionMove], version: Int64) {
        for w in workers.keys { workers[w]?.movedIn = 0 }
        var moved = 0
        movedPartitions = []
        for m in moves {
            if let i = index[m.partition] {
                let old = partitions[i]
                if old.worker == m.to { continue }
                if let w = old.worker {
                    workers[w]?.partitions -= 1
                    workers[w]?.weight -= old.weight
                    if workers[w]?.partitions == 0 { workers[w] = nil }
                } else {
                    unassignedCount -= 1
                }
                partitions[i].worker = m.to
                movedPartitions.insert(m.partition)
                if let w = m.to {
                    workers[w, default: WorkerLoad()].partitions += 1
                    workers[w, default: WorkerLoad()].weight += old.weight
                    workers[w, default: WorkerLoad()].movedIn += 1
                } else {
                    unassignedCount += 1
                }
            } else {
                index[m.partition] = partitions.count
                partitions.append(PartitionAssignment(id: m.partition, worker: m.to, weight: 1))
                movedPartitions.insert(m.partition)
                if let w = m.to {
                    workers[w, default: WorkerLoad()].partitions += 1
                    workers[w, default: WorkerLoad()].weight += 1
                    workers[w, default: WorkerLoad()].movedIn += 1
                } else {
                    unassignedCount += 1
                }
            }
            moved += 1
        }
        movedInLastRebalance = moved
        self.version = version
        if sortedWorkers.count != workers.count || !sortedWorkers.allSatisfy({ workers[$0] != nil }) {
            sortedWorkers = workers.keys.sorted(by: naturalLess)
        }
    }

    /// Partitions with no live owner: unassigned rows plus rows owned by a
    /// worker that is not a present node.
    public func orphanCount(presentNodes: Set<String>) -> Int {
        var n = unassignedCount
        for (w, load) in workers where !presentNodes.contains(w) {
            n += load.partitions
        }
        return n
    }
}

/// The calculator's current rebalance, as the leader reported it.
public struct RebalanceInfo: Sendable, Hashable {
    public var node: String
    public var calculatorState: CalculatorState?
    public var reason: RebalanceReason?
    public var windowMillis: Int64?
    public var startedAt: Timestamp
}

/// One tenant migration with its history.
public struct MigrationRecord: Sendable, Hashable {
    public var info: MigrationInfo
    /// Each phase entered, with when.
    public var phases: [PhaseMark] = []
    public var writePauseStartedAt: Timestamp?
    public var writePauseEndedAt: Timestamp?
    public var finishedAt: Timestamp?
    public var durationMillis: Int64?
    public var failureReason: String?
    public var cancelledBy: String?
    /// First and newest drain progress, for the drain rate.
    public var firstDrain: DrainMark?
    public var lastDrain: DrainMark?
    public var lastUpdate: Timestamp?

    public struct PhaseMark: Sendable, Hashable {
        public var phase: MigrationPhase
        public var at: Timestamp
    }

    public struct DrainMark: Sendable, Hashable {
        public var at: Timestamp
        public var drained: Int64
    }

    public init(info: MigrationInfo) {
        self.info = info
    }

    public var id: String { info.migrationID }

    /// Fraction done, 0...1 (by drained entries).
    public var fraction: Double {
        guard info.totalEntries > 0 else { return info.state == .completed ? 1 : 0 }
        return min(1, max(0, Double(info.drainedEntries) / Double(info.totalEntries)))
    }

    /// Entries drained per second since draining began; nil before two samples.
    public var drainRatePerSecond: Double? {
        guard let a = firstDrain, let b = lastDrain, b.at > a.at, b.drained >= a.drained else { return nil }
        return Double(b.drained - a.drained) * 1000 / Double(b.at.millis(since: a.at))
    }

    /// Estimated milliseconds until drained, from the drain rate.
    public var etaMillis: Int64? {
        guard let rate = drainRatePerSecond, rate > 0, info.totalEntries >= info.drainedEntries else { return nil }
        let seconds = Double(info.totalEntries - info.drainedEntries) / rate
        guard seconds.isFinite, seconds < 1e9 else { return nil }
        return Int64(seconds * 1000)
    }

    mutating func enter(_ phase: MigrationPhase, at t: Timestamp) {
        if phases.last?.phase != phase { phases.append(PhaseMark(phase: phase, at: t)) }
        if phase.writesPaused, writePauseStartedAt == nil { writePauseStartedAt = t }
        if !phase.writesPaused, writePauseStartedAt != nil, writePauseEndedAt == nil { writePauseEndedAt = t }
    }
}

/// Where a promotion request stands (domain.md section 2).
public enum PromotionPhase: String, Sendable, Hashable {
    case requested, validating, denied, rejected, transferring, completed
}

/// One promotion, from request to end, gathered by its correlation id.
public struct PromotionRecord: Sendable, Hashable {
    public var requestID: String
    public var candidate: String
    public var requestedBy: String?
    public var requestedAt: Timestamp?
    public var phase: PromotionPhase = .requested
    public var checks: [ValidationCheck] = []
    public var denials: [DenialReason] = []
    public var oldPrimary: String?
    public var newPrimary: String?
    public var term: Int64?
    public var rejection: String?
    public var finishedAt: Timestamp?

    public init(requestID: String, candidate: String) {
        self.requestID = requestID
        self.candidate = candidate
    }

    /// The one-line account a person reads after the fact.
    public var explanation: String {
        let passed = checks.filter(\.ok).count
        switch phase {
        case .requested:
            return "promotion of \(candidate) requested"
        case .validating:
            return "promotion of \(candidate) being validated"
        case .transferring:
            return "promotion of \(candidate): \(passed)/\(checks.count) checks passed, transferring authority"
        case .completed:
            let from = oldPrimary ?? "none"
            let termText = term.map { " in term \($0)" } ?? ""
            return "\(candidate) promoted: primary \(from) -> \(newPrimary ?? candidate)\(termText), \(passed)/\(checks.count) checks passed"
        case .denied:
            let why = denials.map { d in d.detail.map { "\(d.invariant.wire) (\($0))" } ?? d.invariant.wire }
            return "promotion of \(candidate) denied: \(why.joined(separator: ", "))"
        case .rejected:
            return "promotion of \(candidate) rejected: \(rejection ?? "unknown reason")"
        }
    }
}

/// How loud a log line is.
public enum LogSeverity: Int, Sendable, Hashable, Comparable {
    case info, notice, warning, critical

    public static func < (a: LogSeverity, b: LogSeverity) -> Bool { a.rawValue < b.rawValue }
}

/// One line of the failover log: what happened, in words.
public struct LogEntry: Sendable, Hashable {
    public var at: Timestamp
    public var source: String
    /// What it is about (typed; never compare the wire type string).
    public var kind: LogKind
    public var severity: LogSeverity
    public var text: String
    public var correlationID: String?
}
