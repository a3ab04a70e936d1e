import ClusterProtocol
import ClusterState

/// Partition -> worker placement by each strategy of domain.md section 3.
public enum AssignmentCalculator {
    /// Virtual nodes per worker on the consistent-hash ring.
    public static let virtualNodes = 64

    /// The table for `partitions` (ids 0..<count, with their weights) over `workers`.
    public static func assign(
        strategy: AssignmentStrategy, weights: [Double], workers: [String]
    ) -> [PartitionAssignment] {
        let sortedWorkers = workers.sorted(by: naturalLess)
        guard !sortedWorkers.isEmpty else {
            return weights.enumerated().map { PartitionAssignment(id: Int64($0.offset), worker: nil, weight: $0.element) }
        }
        switch strategy {
        case .roundRobin:
            return weights.enumerated().map { i, w in
                PartitionAssignment(id: Int64(i), worker: sortedWorkers[i % sortedWorkers.count], weight: w)
            }
        case .weighted:
            // Heaviest first onto the least loaded worker: balanced by weight.
            var load = [Double](repeating: 0, count: sortedWorkers.count)
            var owner = [String?](repeating: nil, count: weights.count)
            let order = weights.indices.sorted { weights[$0] != weights[$1] ? weights[$0] > weights[$1] : $0 < $1 }
            for p in order {
                var best = 0
                for k in 1..<sortedWorkers.count where load[k] < load[best] { best = k }
                owner[p] = sortedWorkers[best]
                load[best] += weights[p]
            }
            return weights.enumerated().map { PartitionAssignment(id: Int64($0.offset), worker: owner[$0.offset], weight: $0.element) }
        default:
            let ring = Ring(workers: sortedWorkers, virtualNodes: virtualNodes)
            return weights.enumerated().map { i, w in
                PartitionAssignment(id: Int64(i), worker: ring.owner(of: "partition-\(i)"), weight: w)
            }
        }
    }

    /// A consistent-hash ring: each worker at `virtualNodes` points; a key
    /// belongs to the first point at or after its hash.
    struct Ring {
        var points: [(UInt64, String)]

        init(workers: [String], virtualNodes: Int) {
            points = []
            points.reserveCapacity(workers.count * virtualNodes)
            for w in workers {
                for v in 0..<virtualNodes { points.append((fnv1a("\(w)#\(v)"), w)) }
            }
            points.sort { $0.0 < $1.0 }
        }

        func owner(of key: String) -> String? {
            guard !points.isEmpty else { return nil }
            let h = fnv1a(key)
            var lo = 0
            var hi = points.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if points[mid].0 < h { lo = mid + 1 } else { hi = mid }
            }
            return points[lo == points.count ? 0 : lo].1
        }
    }
}
