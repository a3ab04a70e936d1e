import Synchronization
import Testing

@testable import NATSStreamPublisher

/// The publisher's ledger of publishes waiting for JetStream's
/// acknowledgement, on a clock moved by hand: what the 5 s "no
/// acknowledgement" reconnect reads.
@Suite struct AckBoxTests {
    @Test func aPublishAgesUntilAcknowledgedThenLeaves() {
        let clock = Mutex(ContinuousClock.now)
        let box = AckBox(now: { clock.withLock { $0 } })
        #expect(box.age(of: 1) == nil)
        box.sent(1)
        box.sent(2)
        clock.withLock { $0 = $0.advanced(by: .seconds(5)) }
        #expect(box.age(of: 1) == .seconds(5))
        #expect(box.take(1) == nil)
        // An acknowledgement for what this session never sent is ignored.
        box.acknowledged(9, seq: 90)
        #expect(box.take(9) == nil && !box.isCurrent(9))
        box.acknowledged(1, seq: 41)
        #expect(box.take(1) == 41)
        #expect(box.age(of: 1) == nil && !box.isCurrent(1))
        // Taken once only.
        #expect(box.take(1) == nil)
        #expect(box.isCurrent(2))
        #expect(box.age(of: 2) == .seconds(5))
    }

    /// A full window asks to be woken: the next acknowledgement says so,
    /// once (the reader then nudges the session instead of the session
    /// leaving the core unread).
    @Test func aFullWindowIsWokenByTheNextAcknowledgementOnce() {
        let box = AckBox()
        box.sent(1)
        box.sent(2)
        #expect(!box.acknowledged(1, seq: 1))
        box.wantRoom()
        #expect(box.acknowledged(2, seq: 2))
        #expect(!box.acknowledged(2, seq: 2))
        #expect(box.take(1) == 1 && box.take(2) == 2)
    }
}
