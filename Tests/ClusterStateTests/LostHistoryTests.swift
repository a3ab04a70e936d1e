import ClusterProtocol
import ClusterState
import ClusterdashTesting
import Testing

/// History that could not be kept is shown as missing, never silently
/// skipped (issue 23): a gap, or a snapshot that starts past what was
/// applied, is a stretch of lost history with its window and its count.
@Suite struct LostHistoryTests {
    static func heartbeat() -> Event { .electionStarted(ElectionStarted(term: 8, candidate: "node-2")) }

    @Test func aSnapshotPastWhatWasAppliedIsALostWindowFromTheLastEventToTheSnapshot() throws {
        var f = EnvelopeFactory()
        var s = ClusterState()
        s.apply(f.make(.snapshot(EnvelopeFactory.healthySnapshot(seqs: ["node-1": 10, "node-2": 4]))))
        f.lose(10, from: "node-1")
        let last = f.make(Self.heartbeat())
        s.apply(last)
        #expect(s.lostHistory.isEmpty)
        // 37 s go by unseen: node-1 sent 1,582 events meanwhile, node-2 3.
        f.advance(37_000)
        let snap = f.make(.snapshot(EnvelopeFactory.healthySnapshot(seqs: ["node-1": 11 + 1_582, "node-2": 7])))
        s.apply(snap)
        let lost = try #require(s.lostHistory.last)
        #expect(s.lostHistory.count == 1)
        #expect(lost.from == last.timestamp)
        #expect(lost.to == snap.timestamp)
        #expect(lost.events == 1_585)
        #expect(lost.sources == ["node-1", "node-2"])
        // The log says so, before the snapshot's own line.
        let lines = s.log.suffix(2).map(\.kind)
        #expect(lines == [.historyLost, .snapshot])
        #expect(s.log.suffix(2).first?.severity == .warning)
    }

    @Test func aGapIsALostWindowOfTheEventsSkipped() throws {
        var f = EnvelopeFactory()
        var s = ClusterState()
        s.apply(f.make(.snapshot(EnvelopeFactory.healthySnapshot())))
        let before = f.make(Self.heartbeat(), source: "node-2")
        s.apply(before)
        f.lose(5, from: "node-2")
        let after = f.make(Self.heartbeat(), source: "node-2")
        s.apply(after)
        let lost = try #require(s.lostHistory.last)
        #expect(lost.events == 5)
        #expect(lost.sources == ["node-2"])
        #expect(lost.from == before.timestamp)
        #expect(lost.to == after.timestamp)
    }

    @Test func aSnapshotInStepARestartAndTheFirstSnapshotLoseNothing() {
        var f = EnvelopeFactory()
        var s = ClusterState()
        // The first snapshot: nothing was applied before it.
        s.apply(f.make(.snapshot(EnvelopeFactory.healthySnapshot(seqs: ["node-1": 500]))))
        f.lose(500, from: "node-1")
        s.apply(f.make(Self.heartbeat()))
        // A periodic snapshot carries the seqs already applied.
        s.apply(f.make(.snapshot(EnvelopeFactory.healthySnapshot(seqs: ["node-1": 501]))))
        // A source that restarted counts from 1 again: not a hole.
        s.apply(f.make(.snapshot(EnvelopeFactory.healthySnapshot(seqs: ["node-1": 3]))))
        // A source never seen before starts where it starts.
        s.apply(f.make(.snapshot(EnvelopeFactory.healthySnapshot(seqs: ["node-1": 3, "node-9": 80]))))
        #expect(s.lostHistory.isEmpty)
        #expect(!s.log.contains { $0.kind == .historyLost })
    }

    @Test func hostileSeqsCountWithoutTrappingAndTheListIsBounded() {
        var f = EnvelopeFactory()
        var s = ClusterState()
        s.apply(f.make(.snapshot(EnvelopeFactory.healthySnapshot(seqs: ["node-1": 1, "node-2": 1]))))
        s.apply(f.make(.snapshot(EnvelopeFactory.healthySnapshot(seqs: ["node-1": .max, "node-2": .max]))))
        #expect(s.lostHistory.last?.events == .max)
        for k in 0..<100 {
            s.apply(f.make(.snapshot(EnvelopeFactory.healthySnapshot(seqs: ["node-1": Int64(k + 1)]))))
            s.apply(f.make(.snapshot(EnvelopeFactory.healthySnapshot(seqs: ["node-1": Int64(k + 10)]))))
        }
        #expect(s.lostHistory.count <= 32)
        #expect(s.lostHistory.last?.events == 9)
    }
}
