import ClusterProtocol
import ClusterState
import ClusterdashTesting
import Testing

@Suite struct SnapshotCoverageTests {
    @Test func snapshotKeepsSeqsOfSourcesItDoesNotCover() {
        var f = EnvelopeFactory()
        var s = ClusterState()
        s.apply(f.make(.snapshot(EnvelopeFactory.healthySnapshot(seqs: ["node-1": 10, "node-2": 20]))))
        // A per-node endpoint's snapshot covers node-2 only.
        s.apply(f.make(.snapshot(EnvelopeFactory.healthySnapshot(seqs: ["node-2": 25])), source: "node-2"))
        #expect(s.seqs == ["node-1": 10, "node-2": 25])
    }

    @Test func heartbeatIsQuietButCounts() {
        var f = EnvelopeFactory()
        var s = ClusterState()
        s.apply(f.make(.snapshot(EnvelopeFactory.healthySnapshot())))
        let lines = s.log.count
        s.apply(f.make(.heartbeat(NodeHeartbeat(node: "node-2", role: .replica, health: .healthy, term: 7)), source: "node-2"))
        #expect(s.log.count == lines)
        #expect(s.nodes["node-2"]?.lastHeard == f.now)
        #expect(s.nodes["node-2"]?.info.lastHeartbeat == f.now)
    }
}
