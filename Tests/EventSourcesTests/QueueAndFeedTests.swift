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

    /// Found with the flood's exact-state check: a gap less than the resync
    /// interval after a request was never asked for (nothing remembered it),
    /// and the state stayed wrong until the next gap. It is asked for once
    /// the interval passes, on a batch or on the dashboard's tick, and not
    /// at all when the endpoint's snapshot comes first.
    @Test func aGapHeldBackByTheIntervalIsAskedForOnceItPasses() {
        var f = EnvelopeFactory()
        var feed = Feed()
        func event() -> Envelope { f.make(.stateChangeSuppressed(StateChangeSuppressed(node: "node-1", state: "primary"))) }
        _ = feed.apply(Batch(items: [received(f.make(.snapshot(EnvelopeFactory.healthySnapshot())))], dropped: 0, backlog: 1), endpoints: 1, now: t0)
        #expect(feed.apply(Batch(items: [received(event())], dropped: 0, backlog: 1), endpoints: 1, now: t0).isEmpty)
        f.lose(3, from: "node-1")
        #expect(feed.apply(Batch(items: [received(event())], dropped: 0, backlog: 1), endpoints: 1, now: t0) == [0])
        f.lose(4, from: "node-1")
        #expect(feed.apply(Batch(items: [received(event())], dropped: 0, backlog: 1), endpoints: 1, now: t0.adding(millis: 500)).isEmpty)
        #expect(feed.pending == [0])
        #expect(feed.due(now: t0.adding(millis: 1_999)).isEmpty)
        #expect(feed.due(now: t0.adding(millis: 2_000)) == [0])
        #expect(feed.pending.isEmpty && feed.resyncRequests == 2)
        #expect(feed.due(now: t0.adding(millis: 9_000)).isEmpty)
        // Held back again, then the endpoint's snapshot arrives: nothing to ask.
        f.lose(2, from: "node-1")
        #expect(feed.apply(Batch(items: [received(event())], dropped: 0, backlog: 1), endpoints: 1, now: t0.adding(millis: 2_100)).isEmpty)
        var snapshot = EnvelopeFactory.healthySnapshot()
        snapshot.seqs = f.seqs
        let answer = feed.apply(
            Batch(items: [received(f.make(.snapshot(snapshot)))], dropped: 0, backlog: 1), endpoints: 1, now: t0.adding(millis: 2_200))
        #expect(answer.isEmpty && feed.pending.isEmpty)
        #expect(feed.due(now: t0.adding(millis: 60_000)).isEmpty)
        #expect(feed.resyncRequests == 2)
    }
}
