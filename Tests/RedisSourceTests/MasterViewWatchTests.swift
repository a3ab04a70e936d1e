import RedisRules
import Testing

@testable import RedisSource

/// The probe's comparison on `CLUSTER NODES` as Redis answers it: the
/// heartbeat times move at every answer and wake nothing; a slot handed
/// over (with no epoch bumped), a move's marks, a suspected node and a
/// master that stops answering (once) wake the poll.
@Suite struct MasterViewWatchTests {
    static let a = String(repeating: "a", count: 40)
    static let b = String(repeating: "b", count: 40)

    /// A two-master view as 127.0.0.1:17001 answers it.
    func view(ping: Int = 0, epochOfB: Int = 2, slotsOfA: String = "0-8191", slotsOfB: String = "8192-16383", flagsOfB: String = "master")
        -> [ClusterNode]?
    {
        try? ClusterNodes.parse(
            """
            \(Self.a) 127.0.0.1:17001@27001 myself,master - 0 \(1_700_000_000_000 + ping) 1 connected \(slotsOfA)
            \(Self.b) 127.0.0.1:17002@27002 \(flagsOfB) - \(ping) \(1_700_000_000_100 + ping) \(epochOfB) connected \(slotsOfB)

            """)
    }

    func polled() -> MasterViewWatch {
        var w = MasterViewWatch()
        w.polled(masters: ["127.0.0.1:17001"], views: ["127.0.0.1:17001": view(), "127.0.0.1:17004": view(epochOfB: 9)])
        return w
    }

    @Test func heartbeatsWakeNothing() {
        var w = polled()
        #expect(w.targets == ["127.0.0.1:17001"])
        #expect(view(ping: 250) != nil)
        let woke = w.probed(["127.0.0.1:17001": view(ping: 250)])
        #expect(!woke)
    }

    @Test func aHandOverWithNoEpochBumpedWakesThePollOnce() {
        var w = polled()
        let moved = w.probed(["127.0.0.1:17001": view(slotsOfA: "0-8190", slotsOfB: "8191-16383")])
        #expect(moved)
        let again = w.probed(["127.0.0.1:17001": view(ping: 100, slotsOfA: "0-8190", slotsOfB: "8191-16383")])
        #expect(!again)
    }

    @Test func marksAndASuspectWake() {
        var w = polled()
        let marked = w.probed(["127.0.0.1:17001": view(slotsOfA: "0-8191 [8191->-\(Self.b)]")])
        #expect(marked)
        let suspect = w.probed(["127.0.0.1:17001": view(slotsOfA: "0-8191 [8191->-\(Self.b)]", flagsOfB: "master,fail?")])
        #expect(suspect)
    }

    @Test func aMasterThatStopsAnsweringWakesOnceAndAgainWhenItIsBack() {
        var w = polled()
        let silent = w.probed(["127.0.0.1:17001": nil])
        #expect(silent)
        let stillSilent = w.probed(["127.0.0.1:17001": nil])
        #expect(!stillSilent)
        let back = w.probed(["127.0.0.1:17001": view()])
        #expect(back)
    }

    @Test func onlyTheLastPollsMastersAreCompared() {
        var w = polled()
        // A replica's view (not a target) changes nothing.
        let replica = w.probed(["127.0.0.1:17004": view(epochOfB: 10)])
        #expect(!replica)
        // After a failover the poll names the masters anew: the baseline is their view.
        w.polled(masters: ["127.0.0.1:17004"], views: ["127.0.0.1:17004": view(epochOfB: 10)])
        #expect(w.targets == ["127.0.0.1:17004"])
        let same = w.probed(["127.0.0.1:17004": view(epochOfB: 10), "127.0.0.1:17001": view(epochOfB: 3)])
        #expect(!same)
    }
}
