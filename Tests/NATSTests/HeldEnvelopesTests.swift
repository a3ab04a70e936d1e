import ClusterProtocol
import Testing

@testable import NATSStreamPublisher

/// What the publisher holds while JetStream cannot store (issue 23): in
/// order, bounded, and past the bound dropped as a whole with the time it
/// began, never a silent gap in the middle.
@Suite struct HeldEnvelopesTests {
    let t = Timestamp(millis: 1_795_438_800_000)

    @Test func heldInOrderAndTakenInOrder() {
        var h = HeldEnvelopes(maxCount: 10, maxBytes: 1_000)
        let held1 = h.hold(["a", "b"], at: t)
        #expect(held1)
        let held2 = h.hold(["c"], at: t.adding(millis: 500))
        #expect(held2)
        #expect(h.since == t)
        #expect(h.count == 3)
        #expect(h.bytes == 3)
        let took10 = h.take(2)
        #expect(took10 == ["a", "b"])
        #expect(h.since != nil)
        let took11 = h.take(5)
        #expect(took11 == ["c"])
        #expect(h.isEmpty && h.since == nil && h.bytes == 0)
    }

    @Test func pastTheCountAllIsDroppedFromTheFirstHeldAndNothingMoreIsKept() throws {
        var h = HeldEnvelopes(maxCount: 3, maxBytes: 1_000)
        let held3 = h.hold(["a", "b"], at: t)
        #expect(held3)
        let held4 = h.hold(["c", "d"], at: t.adding(millis: 100))
        #expect(!held4)
        let lost = try #require(h.lost)
        #expect(lost.from == t)
        #expect(lost.events == 4)
        #expect(h.isEmpty)
        // Later ones are counted, not kept: the next epoch's snapshot covers them.
        let held5 = h.hold(["e"], at: t.adding(millis: 200))
        #expect(!held5)
        #expect(h.lost?.events == 5)
        #expect(h.isEmpty)
        h.reset()
        #expect(h.lost == nil)
        let held6 = h.hold(["f"], at: t.adding(millis: 300))
        #expect(held6)
    }

    @Test func pastTheBytesToo() {
        var h = HeldEnvelopes(maxCount: 100, maxBytes: 10)
        let held7 = h.hold(["12345"], at: t)
        #expect(held7)
        let held8 = h.hold(["12345"], at: t)
        #expect(held8)
        let held9 = h.hold(["1"], at: t)
        #expect(!held9)
        #expect(h.lost?.events == 3)
    }
}
