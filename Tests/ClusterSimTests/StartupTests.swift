import ClusterProtocol
import ClusterSim
import ClusterState
import Testing

@Suite struct StartupTests {
    @Test func coldStartWalksEveryNodeAndPublishesTheFirstAssignment() {
        var h = Harness()
        h.run(seconds: 1)
        #expect(h.state.primaries == ["node-1"])
        #expect(h.state.assignment == nil)
        #expect(h.state.nodes["node-1"]?.info.managerState == .waitingAssignment)
        #expect(h.state.rebalance?.reason == .coldStart)
        h.run(seconds: 3)
        #expect(h.state.assignment?.version == 1)
        #expect(h.state.assignment?.reason == .coldStart)
        #expect(h.state.assignment?.partitions.count == 256)
        #expect(h.state.orphanedPartitions == 0)
        #expect(h.state.nodes.values.allSatisfy { $0.info.managerState == .stable })
        // Every node walked the whole way, in order.
        let walk = h.events.compactMap { e -> String? in
            if case .stateChanged(let d) = e.event, d.node == "node-3" { return d.to.wire }
            return nil
        }
        #expect(walk == ["claiming_id", "election", "waiting_assignment", "stable"])
        #expect(h.state.term == 1)
        #expect(h.state.quorum.present)
    }

    @Test func seqsAreContiguousPerSourceOverALongRun() {
        var h = Harness(
            fastConfig {
                $0.demoFaults = true
                $0.rate = 40
            })
        h.run(seconds: 600)
        var last: [String: Int64] = [:]
        for e in h.events where e.seq > 0 {
            #expect(e.seq == (last[e.source] ?? 0) + 1, "\(e.source) jumped to \(e.seq)")
            last[e.source] = e.seq
        }
        #expect(h.events.count > 20_000)
        #expect(Set(h.events.map(\.id)).count == h.events.count)
        // The demo caused failovers and every kind of trouble on the way.
        let types = Set(h.types)
        for t in [
            "node.left", "failover.demoted", "election.leader_elected", "replication.follower_status",
            "failover.state_change_suppressed", "node.joined", "assignment.moved", "node.health_changed",
        ] {
            #expect(types.contains(t), "the demo never produced \(t)")
        }
    }

    @Test func sameSeedSameStream() {
        var a = SimCluster(
            config: fastConfig {
                $0.demoFaults = true
                $0.seed = 9
            }, start: t0)
        var b = SimCluster(
            config: fastConfig {
                $0.demoFaults = true
                $0.seed = 9
            }, start: t0)
        let ea = a.advance(to: t0.adding(millis: 300_000))
        let eb = b.advance(to: t0.adding(millis: 300_000))
        #expect(ea == eb)
        var c = SimCluster(
            config: fastConfig {
                $0.demoFaults = true
                $0.seed = 10
            }, start: t0)
        #expect(c.advance(to: t0.adding(millis: 300_000)) != ea)
    }

    @Test func streamAndSnapshotAgree() {
        var h = Harness(fastConfig { $0.demoFaults = true })
        h.run(seconds: 400)
        var fromSnapshot = ClusterState()
        fromSnapshot.apply(h.sim.snapshot())
        #expect(fromSnapshot.term == h.state.term)
        #expect(fromSnapshot.primaries == h.state.primaries)
        #expect(fromSnapshot.assignment?.version == h.state.assignment?.version)
        #expect(fromSnapshot.assignment?.partitions == h.state.assignment?.partitions)
        #expect(fromSnapshot.tenants == h.state.tenants)
        let live = h.state.nodes.values.filter(\.isPresent)
        #expect(Set(fromSnapshot.nodes.keys) == Set(live.map(\.id)))
        for n in live {
            #expect(fromSnapshot.nodes[n.id]?.info.role == n.info.role, "role of \(n.id)")
            #expect(fromSnapshot.nodes[n.id]?.info.health == n.info.health, "health of \(n.id)")
            #expect(fromSnapshot.nodes[n.id]?.info.managerState == n.info.managerState, "state of \(n.id)")
        }
        #expect(fromSnapshot.seqs == h.state.seqs)
    }
}
