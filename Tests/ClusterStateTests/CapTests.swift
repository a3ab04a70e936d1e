import ClusterProtocol
import ClusterdashTesting
import Testing

@testable import ClusterState

@Suite struct CapTests {
    @Test func everythingStaysBounded() {
        var limits = StateLimits()
        limits.dedupWindow = 100
        limits.logCapacity = 50
        limits.promotions = 10
        limits.commandResults = 10
        limits.migrations = 20
        limits.nodes = 30
        limits.departedNodes = 5
        var f = EnvelopeFactory()
        var s = seeded(&f, limits: limits)
        for i in 0..<1_000 {
            let id = "x-\(i)"
            s.apply(f.make(.commandResult(CommandResult(requestID: id, op: "promote", status: .rejected, reason: "no_quorum"))))
            s.apply(f.make(.promotionRequested(PromotionRequested(requestID: "p-\(i)", candidate: "node-2", requestedBy: nil))))
            let m = MigrationInfo(
                migrationID: "m-\(i)", tenant: "t", source: "a", target: "b", state: .inProgress, phase: .validating, startedAt: nil)
            s.apply(f.make(.migrationStarted(MigrationStarted(migration: m))))
            s.apply(f.make(.migrationCompleted(MigrationCompleted(migrationID: "m-\(i)", durationMillis: 1))))
            s.apply(f.make(.nodeJoined(NodeJoined(node: NodeInfo(id: "flood-\(i)", role: .replica, term: 7)))))
            s.apply(f.make(.nodeLeft(NodeLeft(node: "flood-\(i)", reason: .crashed))))
        }
        #expect(s.log.count == 50)
        #expect(s.logAppended > 5_000)
        #expect(s.commandResults.count == 10)
        #expect(s.promotions.count == 10)
        #expect(s.migrations.count == 20)
        #expect(s.nodes.count <= 30)
        #expect(s.nodes.values.filter { !$0.isPresent }.count <= 5)
        #expect(s.counters.applied > 5_000)
        // The newest entries are the ones kept.
        #expect(s.commandResults["x-999"] != nil)
        #expect(s.commandResults["x-0"] == nil)
    }

    /// Nodes that appear one by one are put into the cached orders in place
    /// (not sorted again per event: 10,000 made-up ids took minutes); the
    /// orders are exactly what a full sort gives. It yields now and then: a
    /// test that holds one of CI's two cooperative threads for seconds
    /// starves the live tests' network timeouts.
    @Test func ordersTakenInPlaceEqualAFullSort() async {
        var f = EnvelopeFactory()
        var s = ClusterState()
        s.apply(f.make(.snapshot(EnvelopeFactory.healthySnapshot())))
        var random = SplitMix64(seed: 3)
        for i in 0..<600 {
            if i % 20 == 0 { await Task.yield() }
            let id = "n-\(random.next() % 400)-\(i % 7)"
            switch random.next() % 4 {
            case 0:
                let role: NodeRole = random.next() % 10 == 0 ? .primary : .replica
                let node = NodeInfo(id: id, role: role, health: .healthy, term: 7, managerState: .stable)
                s.apply(f.make(.nodeJoined(NodeJoined(node: node)), source: id))
            case 1:
                let lag = ReplicationLag(follower: id, leader: "node-1", lagMillis: 5, lagEntries: 1, walPosition: nil)
                s.apply(f.make(.replicationLag(lag), source: "node-1"))
            case 2: s.apply(f.make(.nodeLeft(NodeLeft(node: id, reason: .crashed)), source: "node-1"))
            default: s.apply(f.make(.heartbeat(NodeHeartbeat(node: id, role: .replica, health: .healthy, term: 7)), source: id))
            }
            var full = s
            full.refreshOrders()
            #expect(s.nodeIDs == full.nodeIDs, "after event \(i)")
            #expect(s.followerIDs == full.followerIDs, "after event \(i)")
            #expect(s.primaries == full.primaries && s.presentIDs == full.presentIDs, "after event \(i)")
            if s.nodeIDs != full.nodeIDs { break }
        }
    }

    @Test func dedupWindowForgetsTheOldest() {
        var limits = StateLimits()
        limits.dedupWindow = 10
        var f = EnvelopeFactory()
        var s = seeded(&f, limits: limits)
        let first = f.make(.stateChangeSuppressed(StateChangeSuppressed(node: "node-1", state: "primary")))
        s.apply(first)
        #expect(s.apply(first) == .duplicate)
        for _ in 0..<20 {
            s.apply(f.make(.stateChangeSuppressed(StateChangeSuppressed(node: "node-1", state: "primary"))))
        }
        // Past the window it is no longer recognised; the seq check still flags it.
        let again = s.apply(first)
        #expect(again.disposition == .applied)
        #expect(again.resync != nil)
    }
}
