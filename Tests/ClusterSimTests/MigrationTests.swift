import ClusterProtocol
import ClusterSim
import ClusterState
import Testing

@Suite struct MigrationTests {
    @Test func migrationRunsAllPhasesToCompletion() {
        var h = Harness(fastConfig { $0.drainEntriesPerSecond = 20_000 })
        h.run(seconds: 5)
        #expect(h.state.tenants["acme"] == "us-east")
        #expect(h.command(.migrate(requestID: "m", tenant: "acme", target: "eu-west", dryRun: false))?.status == .accepted)
        h.run(seconds: 10)
        let m = h.state.migrations.values.first
        #expect(m?.info.state == .completed)
        #expect(m?.phases.map(\.phase) == MigrationPhase.allCases)
        #expect(m?.writePauseStartedAt != nil && m?.writePauseEndedAt != nil)
        #expect(h.state.tenants["acme"] == "eu-west")
        let progress = h.events.filter { $0.type == "migration.progress" }
        #expect(progress.count > 4)
        #expect(progress.allSatisfy { $0.correlationID == "m" })
    }

    @Test func dryRunCancelAndRejections() {
        var h = Harness()
        h.run(seconds: 5)
        func reason(_ op: ClientOp) -> String? { h.command(op)?.reason }
        #expect(reason(.migrate(requestID: "a", tenant: "nobody", target: "eu-west", dryRun: false)) == "unknown_tenant")
        #expect(reason(.migrate(requestID: "b", tenant: "acme", target: "mars", dryRun: false)) == "unknown_region")
        #expect(reason(.migrate(requestID: "c", tenant: "acme", target: "us-east", dryRun: false)) == "same_region")
        #expect(reason(.migrate(requestID: "d", tenant: "acme", target: "eu-west", dryRun: true)) == nil)
        h.run(seconds: 2)
        #expect(h.state.migrations.values.first?.info.state == .completed)
        #expect(h.state.tenants["acme"] == "us-east", "a dry run changes nothing")
        #expect(reason(.migrate(requestID: "e", tenant: "acme", target: "eu-west", dryRun: false)) == nil)
        #expect(reason(.migrate(requestID: "f", tenant: "acme", target: "ap-south", dryRun: false)) == "migration_in_progress")
        h.run(seconds: 2)
        let running = h.state.migrations.values.first { !$0.info.state.isFinished }?.id ?? "?"
        #expect(reason(.cancelMigration(requestID: "g", migrationID: "m-404")) == "unknown_migration")
        #expect(reason(.cancelMigration(requestID: "h", migrationID: running)) == nil)
        #expect(h.state.migrations[running]?.info.state == .cancelled)
        #expect(reason(.cancelMigration(requestID: "i", migrationID: running)) == "migration_finished")
        h.run(seconds: 5)
        #expect(h.state.tenants["acme"] == "us-east")
    }

    @Test func failsOnUnhealthyTargetAndOnTimeout() {
        var h = Harness(
            fastConfig {
                $0.migrationTimeoutMillis = 3_000
                $0.drainEntriesPerSecond = 100
            })
        h.run(seconds: 5)
        // eu-west is node-2 and node-5.
        h.inject(.degrade(node: "node-2", durationMillis: nil))
        h.inject(.degrade(node: "node-5", durationMillis: nil))
        h.run(seconds: 3)
        _ = h.command(.migrate(requestID: "x", tenant: "acme", target: "eu-west", dryRun: false))
        h.run(seconds: 2)
        #expect(h.state.migrations.values.first?.failureReason == "target_unhealthy")
        _ = h.command(.migrate(requestID: "y", tenant: "acme", target: "ap-south", dryRun: false))
        h.run(seconds: 6)
        let y = h.state.migrations.values.first { $0.info.target == "ap-south" }
        #expect(y?.info.state == .failed)
        #expect(y?.failureReason == "timeout")
    }
}
