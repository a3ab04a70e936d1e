import ClusterProtocol
import ClusterState
import ClusterdashTesting
import Testing

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
