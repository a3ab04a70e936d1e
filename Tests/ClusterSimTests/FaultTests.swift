import ClusterProtocol
import ClusterSim
import ClusterState
import Testing

@Suite struct FaultTests {
    @Test func crashOfThePrimaryElectsANewOneAndRebalancesAtOnce() {
        var h = Harness()
        h.run(seconds: 5)
        let before = h.events.count
        h.inject(.crash(node: "node-1"))
        h.run(seconds: 1)
        let after = Array(h.events[before...])
        #expect(after.first?.type == "node.left")
        #expect(h.state.nodes["node-1"]?.isPresent == false)
        let newPrimary = h.state.primaries.first
        #expect(newPrimary != nil && newPrimary != "node-1")
        #expect(h.state.term == 2)
        let kinds = after.map(\.type).filter { $0 != "replication.lag" && $0 != "node.heartbeat" }
        #expect(
            kinds == [
                "node.left", "election.started", "election.leader_elected", "node.role_changed", "failover.inhibited",
                "node.state_changed", "assignment.published", "node.state_changed",
            ])
        #expect(h.state.assignment?.reason == .emergency)
        #expect(h.state.assignment?.workers["node-1"] == nil)
        #expect(h.state.orphanedPartitions == 0)
        let emergency = after.compactMap { e -> StateChanged? in
            if case .stateChanged(let d) = e.event, d.to == .emergency { return d }
            return nil
        }
        #expect(emergency.first?.reason == .emergency)
        #expect(emergency.first?.windowMillis == 0)
    }

    @Test func restartGetsPartitionsBackByDelta() {
        var h = Harness()
        h.run(seconds: 5)
        h.inject(.crash(node: "node-4"))
        h.run(seconds: 1)
        let version = h.state.assignment?.version ?? 0
        h.inject(.restart(node: "node-4"))
        h.run(seconds: 3)
        #expect(h.state.nodes["node-4"]?.isPresent == true)
        #expect(h.state.nodes["node-4"]?.info.managerState == .stable)
        #expect(h.state.assignment?.version == version + 1)
        #expect((h.state.assignment?.workers["node-4"]?.partitions ?? 0) > 20)
        #expect(h.types.contains("assignment.moved"))
    }

    @Test func healthDegradationDemotesThePrimary() {
        var h = Harness()
        h.run(seconds: 5)
        h.inject(.degrade(node: "node-1", durationMillis: 20_000))
        h.run(seconds: 4)
        #expect(h.state.nodes["node-1"]?.info.health == .unhealthy)
        #expect(h.state.log.contains { $0.facts == .demoted(node: "node-1", cause: .health, term: 1) })
        #expect(h.state.primaries.count == 1)
        #expect(h.state.primaries != ["node-1"])
        h.run(seconds: 20)
        #expect(h.state.nodes["node-1"]?.info.health == .healthy)
    }

    @Test func quorumLossDemotesThenRecovers() {
        var h = Harness()
        h.run(seconds: 5)
        h.inject(.quorumLoss(durationMillis: 10_000))
        #expect(!h.state.quorum.present)
        #expect(h.state.hasNoPrimary)
        #expect(h.state.log.contains { $0.facts == .demoted(node: "node-1", cause: .quorumLoss, term: 1) })
        h.run(seconds: 5)
        #expect(h.state.hasNoPrimary, "no election without a quorum")
        h.run(seconds: 7)
        #expect(h.state.quorum.present)
        #expect(h.state.primaries.count == 1)
        #expect(h.state.term == 2)
    }

    @Test func followerDisconnectAndLagSpike() {
        var h = Harness()
        h.run(seconds: 5)
        h.inject(.disconnect(node: "node-3", durationMillis: 5_000))
        h.run(seconds: 2)
        #expect(h.state.followers["node-3"]?.isConnected == false)
        h.run(seconds: 4)
        #expect(h.state.followers["node-3"]?.isConnected == true)
        h.inject(.lagSpike(node: "node-2", millis: 40_000, durationMillis: 5_000))
        h.run(seconds: 4)
        #expect((h.state.followers["node-2"]?.lagMillis ?? 0) > 20_000)
        h.inject(.suppressedRepeat(node: nil))
        #expect(h.events.last?.type == "failover.state_change_suppressed")
    }
}
