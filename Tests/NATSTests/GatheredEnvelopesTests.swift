import Synchronization
import Testing

@testable import NATSStreamPublisher

/// What the publisher gathers between messages (issue 23's throughput and
/// reader cost: both are per message): the first envelope after a quiet
/// spell is due at once, what follows waits for the linger to be over and
/// the publisher's loop is woken then, in order, nothing left behind.
@Suite struct GatheredEnvelopesTests {
    @Test func afterAQuietSpellTheFirstIsDueAtOnceAndWhatFollowsWaits() {
        var g = GatheredEnvelopes(linger: .seconds(3_600))
        #expect(g.isDue)
        g.add(["a"])
        #expect(g.take() == ["a"])
        // A message just went: what comes now waits for the next one.
        g.add(["b", "c"])
        g.add(["d"])
        #expect(!g.isDue)
        #expect(g.count == 3)
        #expect(g.take() == ["b", "c", "d"])
        #expect(g.isEmpty)
    }

    @Test func theLoopIsWokenOnceWhenTheLingerIsOver() async {
        var g = GatheredEnvelopes(linger: .milliseconds(20))
        _ = g.take()
        g.add(["a"])
        let woken = Mutex(0)
        let (wakes, signal) = AsyncStream.makeStream(of: Void.self)
        // Asked twice in one spell: one wake-up.
        g.wake {
            woken.withLock { $0 += 1 }
            signal.yield()
        }
        g.wake {
            woken.withLock { $0 += 1 }
            signal.yield()
        }
        var it = wakes.makeAsyncIterator()
        _ = await it.next()
        #expect(g.isDue)
        try? await Task.sleep(for: .milliseconds(100))
        #expect(woken.withLock { $0 } == 1)
        #expect(g.take() == ["a"])
    }

    @Test func aMessageTakenBeforeTheWakeUpCancelsIt() async {
        var g = GatheredEnvelopes(linger: .milliseconds(50))
        _ = g.take()
        g.add(["a"])
        let woken = Mutex(false)
        g.wake { woken.withLock { $0 = true } }
        #expect(g.take() == ["a"])
        try? await Task.sleep(for: .milliseconds(300))
        #expect(!woken.withLock { $0 })
    }
}
