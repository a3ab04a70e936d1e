import ClusterProtocol
import DequeModule

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
