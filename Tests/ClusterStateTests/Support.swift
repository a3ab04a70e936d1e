import ClusterProtocol
import ClusterState
import ClusterdashTesting
import Testing

let now = Timestamp(millis: 1_000_000)

func nodes(
    primary: String? = "node-1", lag: Int64 = 1_200, health: NodeHealth = .healthy, sick: Int = 0
) -> [PromotionNode] {
    (1...5).map { i in
        let id = "node-\(i)"
        return PromotionNode(
            id: id, role: id == primary ? .primary : .replica, health: i > 5 - sick ? .unhealthy : (id == "node-3" ? health : .healthy),
            lagMillis: id == primary ? nil : lag)
    }
}

/// A state that has applied a healthy 3-node snapshot.
func seeded(
    _ f: inout EnvelopeFactory, nodes: Int = 3, partitions: Int = 12, limits: StateLimits = StateLimits()
) -> ClusterState {
    var s = ClusterState(limits: limits)
    let out = s.apply(f.make(.snapshot(EnvelopeFactory.healthySnapshot(nodes: nodes, partitions: partitions))))
    #expect(out == .applied)
    return s
}
