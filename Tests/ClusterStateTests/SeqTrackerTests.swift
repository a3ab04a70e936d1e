import ClusterProtocol
import ClusterState
import ClusterdashTesting
import Testing

@Suite struct SeqTrackerTests {
    /// One set of rules for the state (applied) and a source's resume point
    /// (received). A restarted source resumes from its new seq, not the
    /// highest one ever seen (the source's own map kept the maximum).
    @Test func rulesForEventsSnapshotsRestartsAndTheCap() {
        var t = SeqTracker(capacity: 3)
        #expect(t.observe("a", 5) == .first)
        #expect(t.observe("a", 6) == .next)
        #expect(t.observe("a", 9) == .gap(expected: 7))
        #expect(t.observe("a", 1) == .restart(last: 9))
        #expect(t.last["a"] == 1)
        t.cover(["b": 40], source: "a", seq: 1)
        #expect(t.last == ["a": 1, "b": 40])
        t.cover([:], source: "c", seq: 7)
        #expect(t.last["c"] == 7, "a snapshot that names no seq for its own source still sets it")
        #expect(t.observe("d", 1, evictable: { $0 != "a" }) == .first)
        #expect(t.last.count == 3 && t.last["a"] == 1 && t.last["d"] == 1, "bounded; the protected source stays")
    }
}
