import ClusterProtocol
import EventSources

/// A short scripted incident as protocol-v1 JSON lines: a healthy cluster,
/// replication lag, a primary crash, an emergency rebalance, an election, an
/// operator promotion and a tenant migration. Stands in for a live stream
/// until the simulator exists; every line goes through the real decoder.
enum DemoStream {
    static func lines() -> [String] {
        var stamper = EnvelopeStamper(idPrefix: "demo-")
        var clock = Timestamp(rfc3339: "2026-11-23T13:00:00.000Z") ?? Timestamp(millis: 0)
        var out: [String] = []
        func emit(_ source: String, _ event: Event, correlation: String? = nil, after millis: Int64 = 500) {
            clock = clock.adding(millis: millis)
            out.append(EnvelopeCodec.encodeString(stamper.stamp(event, from: source, at: clock, correlation: correlation)))
        }
        let regions = ["us-east", "eu-west", "ap-south"]
        let nodes = (1...5).map { i in
            NodeInfo(
                id: "node-\(i)", address: "127.0.0.1:\(7400 + i)", region: regions[(i - 1) % 3],
                role: i == 1 ? .primary : .replica, health: .healthy, term: 7, managerState: .stable,
                calculatorState: i == 1 ? .idle : nil, lagMillis: i == 1 ? nil : 200)
        }
        let table = (0..<256).map { p in PartitionAssignment(id: Int64(p), worker: "node-\(p % 5 + 1)") }
        emit(
            "node-1",
            .snapshot(
                ClusterSnapshot(
                    cluster: "demo", term: 7, leader: "node-1", nodes: nodes,
                    assignment: AssignmentTable(version: 12, strategy: .consistentHash, partitions: table),
                    tenants: [TenantPlacement(tenant: "acme", region: "us-east"), TenantPlacement(tenant: "globex", region: "eu-west")])))
        for round in 0..<10 {
            for i in 2...5 {
                let lag = Int64(200 + (i == 4 ? round * 4_000 : round * 30))
                emit(
                    "node-\(i)",
                    .replicationLag(
                        ReplicationLag(
                            follower: "node-\(i)", leader: "node-1", lagMillis: lag, lagEntries: lag / 4, walPosition: Int64(88_000 + round * 100))),
                    after: 250)
            }
        }
        emit(
            "node-4",
            .healthChanged(HealthChanged(node: "node-4", from: .healthy, to: .degraded, consecutiveFailures: 3, detail: "replication lag 36 s")))
        emit("node-2", .nodeLeft(NodeLeft(node: "node-1", reason: .crashed)), after: 2_000)
        emit(
            "node-2",
            .stateChanged(
                StateChanged(node: "node-2", from: .stable, to: .emergency, calculatorState: .emergency, reason: .emergency, windowMillis: 0)))
        emit("node-2", .electionStarted(ElectionStarted(term: 8, candidate: "node-2")))
        emit("node-2", .leaderElected(LeaderElected(term: 8, leader: "node-2", votes: 3)))
        emit("node-2", .roleChanged(RoleChanged(node: "node-2", from: .replica, to: .primary, term: 8, reason: "elected")))
        let moved = table.filter { $0.worker == "node-1" }.enumerated().map { k, p in
            PartitionMove(partition: p.id, from: "node-1", to: "node-\(k % 4 + 2)")
        }
        emit("node-2", .assignmentMoved(AssignmentMoved(version: 13, baseVersion: 12, moves: moved)))
        emit(
            "node-2",
            .stateChanged(StateChanged(node: "node-2", from: .emergency, to: .stable, calculatorState: .idle, reason: nil, windowMillis: nil)))
        emit("node-2", .inhibited(FailoverInhibited(until: clock.adding(millis: 30_000), reason: "recent_failover")))
        // An operator tries to promote node-4 (lagging) and is denied.
        emit("node-2", .commandResult(CommandResult(requestID: "r-1", op: "promote", status: .accepted, reason: nil)), correlation: "r-1")
        emit("node-2", .promotionRequested(PromotionRequested(requestID: "r-1", candidate: "node-4", requestedBy: "alice")), correlation: "r-1")
        emit(
            "node-2",
            .promotionDenied(
                PromotionDenied(
                    requestID: "r-1", candidate: "node-4",
                    reasons: [
                        DenialReason(invariant: .candidateHealthy, detail: "health degraded"),
                        DenialReason(invariant: .candidateCaughtUp, detail: "lag 36000 ms > 5000 ms"),
                        DenialReason(invariant: .notInhibited, detail: "inhibited for 29 s"),
                    ])), correlation: "r-1")
        // A migration runs to completion.
        let m = MigrationInfo(
            migrationID: "m-1", tenant: "acme", source: "us-east", target: "eu-west", state: .inProgress,
            phase: .validating, totalEntries: 10_000, startedAt: clock)
        emit("node-2", .migrationStarted(MigrationStarted(migration: m)), correlation: "r-2")
        let phases: [(MigrationPhase, Int64)] = [
            (.pausingWrites, 0), (.drainingWAL, 2_500), (.drainingWAL, 6_400), (.drainingWAL, 10_000),
            (.updatingPlacement, 10_000), (.resumingWrites, 10_000),
        ]
        for (phase, drained) in phases {
            emit(
                "node-2", .migrationProgress(MigrationProgress(migrationID: "m-1", phase: phase, drainedEntries: drained, totalEntries: 10_000)),
                correlation: "r-2", after: 1_000)
        }
        emit("node-2", .migrationCompleted(MigrationCompleted(migrationID: "m-1", durationMillis: 7_000)), correlation: "r-2")
        // A duplicate delivery and an event type this build does not know.
        if let last = out.last { out.append(last) }
        emit("node-3", .unknown(type: "tenant.quota_changed", raw: .object(JSONObject([JSONField("tenant", "acme")]))))
        return out
    }
}
