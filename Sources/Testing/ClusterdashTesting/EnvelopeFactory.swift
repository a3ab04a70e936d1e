import ClusterProtocol
import EventSources

/// Builds envelopes for tests: unique ids, contiguous seqs per source, and a
/// clock that moves forward by a fixed step per event (or as told).
public struct EnvelopeFactory: Sendable {
    public var now: Timestamp
    public var step: Int64
    private var stamper = EnvelopeStamper(idPrefix: "e-")
    public var seqs: [String: Int64] { stamper.seqs }

    public init(start: Timestamp = Timestamp(millis: 1_795_438_800_000), stepMillis: Int64 = 100) {
        now = start
        step = stepMillis
    }

    /// The next envelope from `source`.
    public mutating func make(
        _ event: Event, source: String = "node-1", correlation: String? = nil, causation: String? = nil
    ) -> Envelope {
        now = now.adding(millis: step)
        return stamper.stamp(event, from: source, at: now, correlation: correlation, causation: causation)
    }

    /// Lets `millis` pass before the next event.
    public mutating func advance(_ millis: Int64) {
        now = now.adding(millis: millis)
    }

    /// Forgets the seq of `source` (as if it restarted).
    public mutating func restart(_ source: String) {
        stamper.restart(source)
    }

    /// Skips `count` seqs of `source` (events lost in transit).
    public mutating func lose(_ count: Int64, from source: String) {
        stamper.lose(count, from: source)
    }

    /// A snapshot of a healthy cluster: node-1 primary, the rest replicas.
    public static func healthySnapshot(
        nodes count: Int = 3, partitions: Int = 12, term: Int64 = 7, seqs: [String: Int64] = [:]
    ) -> ClusterSnapshot {
        var nodes: [NodeInfo] = []
        for i in 1...max(1, count) {
            let primary = i == 1
            let region = i % 2 == 1 ? "us-east" : "eu-west"
            let lag: Int64? = primary ? nil : 100 * Int64(i)
            nodes.append(
                NodeInfo(
                    id: "node-\(i)", address: "10.0.0.\(10 + i):7400", region: region,
                    role: primary ? .primary : .replica, health: .healthy, term: term, managerState: .stable,
                    calculatorState: primary ? .idle : nil, lagMillis: lag))
        }
        let table = (0..<partitions).map { p in
            PartitionAssignment(id: Int64(p), worker: "node-\(p % max(1, count) + 1)", weight: 1)
        }
        return ClusterSnapshot(
            cluster: "test", term: term, leader: "node-1", nodes: nodes,
            assignment: AssignmentTable(version: 1, strategy: .consistentHash, partitions: table),
            migrations: [], tenants: [TenantPlacement(tenant: "acme", region: "us-east")], seqs: seqs)
    }
}
