import ClusterProtocol
import ClusterState
import ClusterdashTesting
import Testing

@Suite struct SnapshotAndSequenceTests {
    @Test func snapshotReplacesState() {
        var f = EnvelopeFactory()
        var s = seeded(&f)
        #expect(s.hasSnapshot)
        #expect(s.clusterName == "test")
        #expect(s.term == 7)
        #expect(s.primaries == ["node-1"])
        #expect(s.orderedNodes.map(\.id) == ["node-1", "node-2", "node-3"])
        #expect(s.assignment?.version == 1)
        #expect(s.tenants == ["acme": "us-east"])

        // A second snapshot with different nodes replaces them whole.
        var two = EnvelopeFactory.healthySnapshot(nodes: 2, term: 9)
        two.cluster = "other"
        s.apply(f.make(.snapshot(two)))
        #expect(s.nodes.count == 2)
        #expect(s.clusterName == "other")
        #expect(s.term == 9)
        #expect(s.counters.snapshots == 2)
    }

    @Test func snapshotSetsSeqsAndContinuesFromThem() {
        var f = EnvelopeFactory()
        var s = ClusterState()
        s.apply(f.make(.snapshot(EnvelopeFactory.healthySnapshot(seqs: ["node-1": 40, "node-2": 7]))))
        #expect(s.seqs == ["node-1": 40, "node-2": 7])
        f.lose(40, from: "node-1")
        let next = f.make(.electionStarted(ElectionStarted(term: 8, candidate: "node-1")))
        #expect(next.seq == 41)
        #expect(s.apply(next) == .applied)
        #expect(s.seqs["node-1"] == 41)
    }

    @Test func sameIDTwiceChangesNothing() {
        var f = EnvelopeFactory()
        var s = seeded(&f)
        let e = f.make(.healthChanged(HealthChanged(node: "node-2", from: .healthy, to: .degraded, consecutiveFailures: 3, detail: nil)))
        #expect(s.apply(e) == .applied)
        let logCount = s.log.count
        let before = s.nodes
        #expect(s.apply(e) == .duplicate)
        #expect(s.nodes == before)
        #expect(s.log.count == logCount)
        #expect(s.counters.duplicates == 1)
    }

    @Test func gapIsAppliedAndReported() {
        var f = EnvelopeFactory()
        var s = seeded(&f)
        s.apply(f.make(.electionStarted(ElectionStarted(term: 8, candidate: "node-2")), source: "node-2"))
        f.lose(3, from: "node-2")
        let e = f.make(.leaderElected(LeaderElected(term: 8, leader: "node-2", votes: 2)), source: "node-2")
        let out = s.apply(e)
        #expect(out.disposition == .applied)
        #expect(out.resync == .gap(source: "node-2", expected: 2, received: 5))
        #expect(s.leader == "node-2")
        #expect(s.counters.gaps == 1)
        // The next contiguous event is fine again.
        let ok = s.apply(f.make(.stateChangeSuppressed(StateChangeSuppressed(node: "node-2", state: "primary")), source: "node-2"))
        #expect(ok.resync == nil)
    }

    @Test func restartIsReported() {
        var f = EnvelopeFactory()
        var s = seeded(&f)
        for _ in 0..<5 {
            s.apply(
                f.make(
                    .replicationLag(ReplicationLag(follower: "node-2", leader: "node-1", lagMillis: 5, lagEntries: 1, walPosition: 1)),
                    source: "node-2"))
        }
        f.restart("node-2")
        let out = s.apply(f.make(.nodeJoined(NodeJoined(node: NodeInfo(id: "node-2", role: .replica, term: 7))), source: "node-2"))
        #expect(out.resync == .restart(source: "node-2", last: 5, received: 1))
        #expect(s.counters.restarts == 1)
    }

    @Test func commandResultStandsOutsideTheSequence() {
        var f = EnvelopeFactory()
        var s = seeded(&f)
        s.apply(f.make(.electionStarted(ElectionStarted(term: 8, candidate: "node-1"))))
        let result = f.make(.commandResult(CommandResult(requestID: "r-1", op: "promote", status: .accepted, reason: nil)))
        #expect(result.seq == 0)
        #expect(s.apply(result) == .applied)
        #expect(s.seqs["node-1"] == 1)
        #expect(s.commandResults["r-1"]?.status == .accepted)
    }

    @Test func otherVersionIsWarnedAndApplied() {
        var f = EnvelopeFactory()
        var s = seeded(&f)
        var e = f.make(.leaderElected(LeaderElected(term: 9, leader: "node-2", votes: 3)))
        e.version = 2
        let out = s.apply(e)
        #expect(out.disposition == .applied)
        #expect(out.versionWarning == 2)
        #expect(s.term == 9)
    }

    @Test func unknownTypeIsLogged() {
        var f = EnvelopeFactory()
        var s = seeded(&f)
        s.apply(f.make(.unknown(type: "quota.changed", raw: .null)))
        #expect(s.counters.unknownTypes == 1)
        #expect(s.log.last?.facts == .unknownType("quota.changed"))
    }
}
