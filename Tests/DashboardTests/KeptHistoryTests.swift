import ClusterProtocol
import ClusterSim
import ClusterState
import ClusterdashTesting
import Dashboard
import EventSources
import Foundation
import RenderCore
import Testing

/// The kept history holds what the state took: a duplicate delivered again
/// (another endpoint, a replay) is not kept twice, so the rewind base, which
/// skips the duplicate check, builds the same state as the live one.
@Suite struct KeptHistoryTests {
    @Test func duplicatesAreNotKeptAndTheRewindBaseMatchesTheLiveState() {
        var f = EnvelopeFactory()
        var m = AppModel(now: f.now)
        m.recentCapacity = 40  // small, so the base is fed by trimming
        var delivered = 0
        for round in 0..<30 {
            var items: [Envelope] = []
            for k in 0..<4 {
                let node = "node-\(2 + k)"
                items.append(
                    f.make(
                        .replicationLag(
                            ReplicationLag(follower: node, leader: "node-1", lagMillis: Int64(round * 10 + k), lagEntries: 1, walPosition: nil)),
                        source: node))
            }
            items.append(
                f.make(
                    .healthChanged(
                        HealthChanged(node: "node-3", from: .healthy, to: round % 2 == 0 ? .suspect : .healthy, consecutiveFailures: 1, detail: nil)),
                    source: "node-1"))
            // Every round also carries two envelopes of the round before again.
            let batch = items + (round > 0 ? Array(m.recent.suffix(2)) : [])
            delivered += batch.count
            _ = update(
                &m,
                .batch(
                    Batch(items: batch.map { Received(envelope: $0, endpoint: 0, receivedAt: $0.timestamp) }, dropped: 0, backlog: 0), [], at: f.now))
        }
        #expect(m.feed.state.counters.duplicates == 58)
        #expect(Set(m.recent.map(\.id)).count == m.recent.count, "no id kept twice")
        let rebuilt = stateAfter(m, index: m.recent.count - 1)
        #expect(rebuilt.followers == m.feed.state.followers)
        #expect(rebuilt.nodes == m.feed.state.nodes)
        #expect(Array(rebuilt.log) == Array(m.feed.state.log))
        #expect(delivered == 30 * 5 + 58)
    }
}
