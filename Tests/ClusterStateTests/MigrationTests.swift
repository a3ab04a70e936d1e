import ClusterProtocol
import ClusterState
import ClusterdashTesting
import Testing

@Suite struct MigrationTests {
    @Test func migrationLifecycle() {
        var f = EnvelopeFactory(stepMillis: 1000)
        var s = seeded(&f)
        let m = MigrationInfo(
            migrationID: "m-1", tenant: "acme", source: "us-east", target: "eu-west", state: .inProgress, phase: .validating, totalEntries: 1000,
            startedAt: nil)
        s.apply(f.make(.migrationStarted(MigrationStarted(migration: m)), correlation: "r-6"))
        s.apply(f.make(.migrationProgress(MigrationProgress(migrationID: "m-1", phase: .pausingWrites, drainedEntries: 0, totalEntries: 1000))))
        let pausedAt = f.now
        s.apply(f.make(.migrationProgress(MigrationProgress(migrationID: "m-1", phase: .drainingWAL, drainedEntries: 100, totalEntries: 1000))))
        s.apply(f.make(.migrationProgress(MigrationProgress(migrationID: "m-1", phase: .drainingWAL, drainedEntries: 300, totalEntries: 1000))))
        var r = s.migrations["m-1"]
        #expect(r?.phases.map(\.phase) == [.validating, .pausingWrites, .drainingWAL])
        #expect(r?.writePauseStartedAt == pausedAt)
        #expect(r?.fraction == 0.3)
        #expect(r?.drainRatePerSecond == 200)
        #expect(r?.etaMillis == 3500)
        s.apply(
            f.make(.migrationProgress(MigrationProgress(migrationID: "m-1", phase: .updatingPlacement, drainedEntries: 1000, totalEntries: 1000))))
        s.apply(f.make(.migrationProgress(MigrationProgress(migrationID: "m-1", phase: .resumingWrites, drainedEntries: 1000, totalEntries: 1000))))
        let resumedAt = f.now
        s.apply(f.make(.migrationCompleted(MigrationCompleted(migrationID: "m-1", durationMillis: 6000))))
        r = s.migrations["m-1"]
        #expect(r?.info.state == .completed)
        #expect(r?.writePauseEndedAt == resumedAt)
        #expect(r?.phases.count == 5)
        #expect(s.tenants["acme"] == "eu-west")
        #expect(s.log.last?.facts == .migrationCompleted(id: "m-1", tenant: "acme", region: "eu-west", durationMillis: 6000, dryRun: false))
    }

    @Test func dryRunFailAndCancel() {
        var f = EnvelopeFactory()
        var s = seeded(&f)
        let dry = MigrationInfo(
            migrationID: "m-2", tenant: "acme", source: "us-east", target: "eu-west", state: .inProgress, phase: .validating, dryRun: true,
            startedAt: nil)
        s.apply(f.make(.migrationStarted(MigrationStarted(migration: dry))))
        s.apply(f.make(.migrationCompleted(MigrationCompleted(migrationID: "m-2", durationMillis: 10))))
        #expect(s.tenants["acme"] == "us-east")

        var m3 = dry
        m3.migrationID = "m-3"
        m3.dryRun = false
        s.apply(f.make(.migrationStarted(MigrationStarted(migration: m3))))
        s.apply(f.make(.migrationFailed(MigrationFailed(migrationID: "m-3", phase: .drainingWAL, reason: "target_unhealthy"))))
        #expect(s.migrations["m-3"]?.info.state == .failed)
        #expect(s.migrations["m-3"]?.failureReason == "target_unhealthy")
        #expect(s.log.last?.facts == .migrationFailed(id: "m-3", phase: .drainingWAL, reason: "target_unhealthy"))

        var m4 = m3
        m4.migrationID = "m-4"
        s.apply(f.make(.migrationStarted(MigrationStarted(migration: m4))))
        s.apply(f.make(.migrationCancelled(MigrationCancelled(migrationID: "m-4", by: "alice"))))
        #expect(s.migrations["m-4"]?.info.state == .cancelled)
        #expect(s.migrations["m-4"]?.cancelledBy == "alice")
        #expect(s.orderedMigrations.count == 3)
        #expect(s.tenants["acme"] == "us-east")
    }
}
