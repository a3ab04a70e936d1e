import ClusterProtocol
import ClusterSim
import ClusterState
import Testing

/// The counts `apply` keeps up to date (quorum, orphaned partitions, the
/// follower name width) always equal a recount from scratch, through ten
/// minutes of scripted trouble: crashes, health flaps, joins, leaves,
/// rebalances and promotions.
@Suite struct CachedCountsTests {
    static func recount(_ s: ClusterState) -> (QuorumStatus, Int, Int) {
        var members = 0
        var serviceable = 0
        for n in s.nodes.values where n.isMember {
            members += 1
            if n.isPresent && n.info.health.isServiceable { serviceable += 1 }
        }
        let present = Set(s.nodes.values.filter(\.isPresent).map(\.id))
        let orphans = s.assignment?.orphanCount(presentNodes: present) ?? 0
        let width = s.followers.keys.map(\.count).max() ?? 0
        return (QuorumStatus(members: members, serviceable: serviceable), orphans, width)
    }

    @Test func countsMatchARecountAfterEveryEvent() {
        var sim = SimCluster(
            config: fastConfig {
                $0.demoFaults = true
                $0.seed = 3
            }, start: t0)
        var state = ClusterState()
        var checked = 0
        var healthChanges = 0
        var mismatches = 0
        func check(_ e: Envelope) {
            state.apply(e)
            if case .healthChanged = e.event { healthChanges += 1 }
            let (q, orphans, width) = Self.recount(state)
            if state.quorum != q || state.orphanedPartitions != orphans || state.followerNameWidth != width {
                mismatches += 1
                if mismatches <= 3 {
                    Issue.record(
                        "after \(e.type) \(e.id): quorum \(state.quorum) vs \(q), orphans \(state.orphanedPartitions) vs \(orphans), width \(state.followerNameWidth) vs \(width)"
                    )
                }
            }
            checked += 1
        }
        check(sim.snapshot())
        for step in 1...60 {
            for e in sim.advance(to: t0.adding(millis: Int64(step) * 10_000)) { check(e) }
            if step == 20 { for e in sim.inject(.crash(node: "node-3")) { check(e) } }
            if step == 35 { for e in sim.inject(.restart(node: "node-3")) { check(e) } }
        }
        #expect(mismatches == 0)
        #expect(checked > 1_000)
        #expect(healthChanges > 5, "the run must exercise health changes (saw \(healthChanges))")
    }
}
