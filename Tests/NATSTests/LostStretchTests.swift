import ClusterProtocol
import ClusterSim
import Testing

@testable import NATSStreamPublisher

/// What a new epoch (or the lease going to another) says is lost: the
/// earliest of what went by unpublished, what was held and what was not
/// acknowledged, and how many. Before issue 23's CI failure, a new epoch
/// that followed a core drop or unacknowledged publishes said nothing.
@Suite struct LostStretchTests {
    typealias Publisher = NATSPublisher<SimCluster>

    func pending(at millis: Int64, ack: Int, events: Int = 1) -> PendingPublish {
        .init(subject: "s", headers: [], payload: [], ack: ack, at: Timestamp(millis: millis), events: events)
    }

    @Test func nothingWentByNothingIsLost() {
        var epoch = Epoch(instance: "a")
        #expect(Publisher.stretchLost(held: HeldEnvelopes(maxCount: 10, maxBytes: 1_000), unacked: PublishWindow(), epoch: &epoch) == nil)
    }

    @Test func unacknowledgedHeldAndSkippedAddUpFromTheEarliest() throws {
        var epoch = Epoch(instance: "a")
        epoch.lose(from: Timestamp(millis: 5_000), events: 3)
        #expect(epoch.skipped)
        var held = HeldEnvelopes(maxCount: 10, maxBytes: 1_000)
        _ = held.hold(["x", "y"], at: Timestamp(millis: 4_000))
        // Two messages, the second a batch of four envelopes: counted in envelopes.
        let unacked = PublishWindow([pending(at: 3_000, ack: 1), pending(at: 3_500, ack: 2, events: 4)])
        let lost = try #require(Publisher.stretchLost(held: held, unacked: unacked, epoch: &epoch))
        #expect(lost.from == Timestamp(millis: 3_000))
        #expect(lost.events == 3 + 2 + 5)
        // Taken out of the epoch: said once.
        let again = epoch.takeLost()
        #expect(again == nil)
    }

    /// The core dropped the publisher: lost from just after the last
    /// envelope read (its own time, even the largest a wire can carry).
    @Test func aCoreDropIsLostFromJustAfterTheLastEnvelopeRead() throws {
        var epoch = Epoch(instance: "a")
        let last = Envelope(
            id: "e", source: "n", seq: 7, timestamp: Timestamp(millis: .max),
            event: .heartbeat(NodeHeartbeat(node: "n", role: .replica, health: .healthy, term: 1)))
        epoch.lastRead = EnvelopeCodec.encodeString(last)
        epoch.coreDropped()
        let taken = epoch.takeLost()
        let lost = try #require(taken)
        // The wire's time as decoded (no trap at the largest).
        let read = try EnvelopeCodec.decode(EnvelopeCodec.encodeString(last)).timestamp
        #expect(lost.from.millis == read.millis.saturatingAdd(1))
        #expect(lost.events == 0)
        #expect(epoch.skipped)
        // A standby's drop loses nothing of its own: skipped only.
        var standby = Epoch(instance: "b")
        standby.lastRead = epoch.lastRead
        standby.coreDropped(standby: true)
        let none = standby.takeLost()
        #expect(none == nil && standby.skipped)
    }

    /// Found by the kill row (issue 23): readers each missed 300 events
    /// more than the publisher's window said. Those were the events passed
    /// over for the new epoch's snapshot; they went into the total only.
    @Test func eventsPassedOverForTheSnapshotBelongToTheLastWindow() {
        var stats = NATSPublisherStats()
        stats.countPassedOver(0)
        #expect(stats.lostEvents == 0 && stats.lostWindows.isEmpty)
        stats.lostWindows = [
            LostWindow(from: Timestamp(millis: 1_000), to: Timestamp(millis: 2_000), events: 10),
            LostWindow(from: Timestamp(millis: 5_000), to: Timestamp(millis: 9_000), events: 14_170),
        ]
        stats.lostEvents = 14_180
        stats.countPassedOver(300)
        #expect(stats.lostEvents == 14_480)
        #expect(stats.lostWindows.map(\.events) == [10, 14_470])
        #expect(stats.lostWindows.last?.to == Timestamp(millis: 9_000))
    }
}
