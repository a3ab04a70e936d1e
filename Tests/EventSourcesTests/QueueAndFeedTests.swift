import ClusterProtocol
import ClusterState
import ClusterdashTesting
import EventSources
import Foundation
import Testing

@Suite struct QueueAndFeedTests {
    @Test func queueOverflowDropsInsteadOfGrowing() {
        let q = EnvelopeQueue(capacity: 100)
        var f = EnvelopeFactory()
        for _ in 0..<250 {
            q.push(received(f.make(.stateChangeSuppressed(StateChangeSuppressed(node: "node-1", state: "primary")))))
            #expect(q.count <= 100)
        }
        #expect(q.overflows == 2)
        let batch = q.take()
        #expect(batch.items.count == 48)
        #expect(batch.dropped == 202)
        #expect(q.take().dropped == 0)
    }

    /// Taking swaps the storage out and `recycle` hands an emptied buffer
    /// back: across takes, recycles and partial takes every envelope comes
    /// out once, in order, and a recycled batch is left empty.
    @Test func recycledBuffersKeepOrderAndLoseNothing() {
        let q = EnvelopeQueue(capacity: 1_000)
        var f = EnvelopeFactory()
        var pushed: [String] = []
        var taken: [String] = []
        for round in 0..<20 {
            for _ in 0..<(round * 7 % 30 + 1) {
                let e = f.make(.stateChangeSuppressed(StateChangeSuppressed(node: "node-1", state: "primary")))
                pushed.append(e.id)
                q.push(received(e))
            }
            var batch = round % 3 == 0 ? q.take(max: 5) : q.take()
            taken += batch.items.map(\.envelope.id)
            q.recycle(&batch)
            #expect(batch.items.isEmpty)
        }
        taken += q.take().items.map(\.envelope.id)
        #expect(taken == pushed)
        #expect(pushed.count > 200)
    }

    @Test func feedAsksForSnapshotsOnGapsAndOverflowRateLimited() {
        var f = EnvelopeFactory()
        var feed = Feed()
        _ = feed.apply(Batch(items: [received(f.make(.snapshot(EnvelopeFactory.healthySnapshot())))], dropped: 0, backlog: 1), endpoints: 2, now: t0)
        let a = f.make(.stateChangeSuppressed(StateChangeSuppressed(node: "node-1", state: "primary")))
        f.lose(5, from: "node-1")
        let b = f.make(.stateChangeSuppressed(StateChangeSuppressed(node: "node-1", state: "primary")))
        let requests = feed.apply(Batch(items: [received(a, endpoint: 1), received(b, endpoint: 1)], dropped: 0, backlog: 2), endpoints: 2, now: t0)
        #expect(requests == [1])
        #expect(feed.lastResync?.hasPrefix("gap from node-1") == true)
        // Another gap a second later: not asked again yet.
        f.lose(3, from: "node-1")
        let c = f.make(.stateChangeSuppressed(StateChangeSuppressed(node: "node-1", state: "primary")))
        #expect(feed.apply(Batch(items: [received(c, endpoint: 1)], dropped: 0, backlog: 1), endpoints: 2, now: t0.adding(millis: 1_000)).isEmpty)
        // Overflow: every endpoint, once the interval passed.
        let overflow = feed.apply(Batch(items: [], dropped: 5_000, backlog: 70_000), endpoints: 2, now: t0.adding(millis: 2_500))
        #expect(overflow == [0, 1])
        #expect(feed.behind == 70_000)
        #expect(feed.droppedTotal == 5_000)
        #expect(feed.resyncRequests == 3)
    }
}
