import ClusterProtocol
import ClusterState
import ClusterdashTesting
import Dashboard
import Testing

/// The failover log's words: the state core records facts (its own tests
/// check those), the dashboard makes these sentences from them.
@Suite struct LogSentenceTests {
    @Test func nodesRolesAndHealth() {
        #expect(LogFacts.joined(node: "node-10", role: .replica, region: "eu-west").sentence == "node-10 joined as replica in eu-west")
        #expect(LogFacts.joined(node: "node-10", role: .primary, region: nil).sentence == "node-10 joined as primary")
        #expect(LogFacts.left(node: "node-3", reason: .crashed).sentence == "node-3 left: crashed")
        #expect(LogFacts.left(node: "node-3", reason: .heartbeatExpired).sentence == "node-3 left: heartbeat expired")
        #expect(
            LogFacts.health(node: "node-2", from: .healthy, to: .unhealthy, failedChecks: 5, detail: "disk full").sentence
                == "node-2 health healthy -> unhealthy (5 failed checks): disk full")
        #expect(
            LogFacts.health(node: "node-2", from: .suspect, to: .healthy, failedChecks: 0, detail: nil).sentence == "node-2 health suspect -> healthy"
        )
        #expect(
            LogFacts.managerState(node: "node-1", from: .stable, to: .rebalancing, reason: .plannedScale, windowMillis: 10_000).sentence
                == "node-1 stable -> rebalancing (planned scale, window 10 s)")
        #expect(
            LogFacts.managerState(node: "node-1", from: .waitingAssignment, to: .stable, reason: nil, windowMillis: nil).sentence
                == "node-1 waiting assignment -> stable")
        #expect(
            LogFacts.roleChanged(node: "node-2", from: .candidate, to: .primary, term: 8, reason: nil).sentence
                == "node-2 candidate -> primary (term 8)")
        #expect(
            LogFacts.roleChanged(node: "pg2", from: .replica, to: .primary, term: 3, reason: "failover: leader_lost").sentence
                == "pg2 replica -> primary (term 3): failover: leader lost")
        #expect(LogFacts.splitBrain(primaries: ["node-1", "node-3"]).sentence == "SPLIT BRAIN: node-1 and node-3 both claim primary")
        #expect(LogFacts.demoted(node: "node-1", cause: .quorumLoss, term: 7).sentence == "node-1 demoted: quorum lost (term 7)")
        #expect(LogFacts.demoted(node: "node-1", cause: .health, term: 1).sentence == "node-1 demoted: health checks failed (term 1)")
        #expect(
            LogFacts.followerStatus(follower: "node-3", status: .disconnected, connected: false).sentence == "node-3 disconnected from the primary")
        #expect(LogFacts.followerStatus(follower: "node-3", status: .connected, connected: true).sentence == "node-3 connected to the primary")
        #expect(LogFacts.leaderElected(leader: "node-2", term: 4, votes: 3).sentence == "node-2 elected leader of term 4 (3 votes)")
        #expect(LogFacts.leaderElected(leader: "pg1", term: 4, votes: 0).sentence == "pg1 elected leader of term 4", "a poll sees no votes")
        #expect(LogFacts.unknownType("quota.changed").sentence == "unknown event type quota.changed")
    }

    @Test func assignmentsAndMigrations() {
        #expect(
            LogFacts.assignmentPublished(version: 2, strategy: .weighted, partitions: 13, moved: 2, reason: .plannedScale, duplicates: 0).sentence
                == "assignment v2 published: weighted, 13 partitions, 2 moved (planned scale)")
        #expect(
            LogFacts.assignmentPublished(version: 3, strategy: .roundRobin, partitions: 8, moved: 0, reason: nil, duplicates: 2).sentence
                == "assignment v3 published: round_robin, 8 partitions, 0 moved; 2 DUPLICATE partitions")
        #expect(
            LogFacts.migrationCompleted(id: "m-1", tenant: "acme", region: "eu-west", durationMillis: 6000, dryRun: false).sentence
                == "migration m-1 completed in 6 s: acme now in eu-west")
        #expect(
            LogFacts.migrationCompleted(id: "m-2", tenant: "acme", region: "us-east", durationMillis: nil, dryRun: true).sentence
                == "migration m-2 completed: acme now in us-east (dry run, nothing changed)")
        #expect(
            LogFacts.migrationCompleted(id: "m-9", tenant: nil, region: nil, durationMillis: nil, dryRun: false).sentence
                == "migration m-9 completed",
            "a migration never seen to start")
        #expect(
            LogFacts.migrationFailed(id: "m-3", phase: .drainingWAL, reason: "target_unhealthy").sentence
                == "migration m-3 failed in draining wal: target unhealthy")
        #expect(LogFacts.migrationCancelled(id: "m-4", by: "ops").sentence == "migration m-4 cancelled by ops")
    }

    @Test func promotionsAndCommands() {
        var done = PromotionRecord(requestID: "r-1", candidate: "node-3")
        done.phase = .completed
        done.oldPrimary = "node-1"
        done.newPrimary = "node-3"
        done.term = 8
        done.checks = Invariant.allCases.filter { $0 != .singleWriter }.map { ValidationCheck(invariant: $0, ok: true, detail: nil) }
        done.checks.append(ValidationCheck(invariant: .singleWriter, ok: true, detail: nil))
        #expect(LogFacts.promotionEnded(done).sentence == "node-3 promoted: primary node-1 -> node-3 in term 8, 6/6 checks passed")
        var denied = PromotionRecord(requestID: "r-4", candidate: "node-2")
        denied.phase = .denied
        denied.denials = [DenialReason(invariant: .candidateCaughtUp, detail: "lag 12 s > 5 s")]
        #expect(LogFacts.promotionEnded(denied).sentence == "promotion of node-2 denied: candidate_caught_up (lag 12 s > 5 s)")
        #expect(
            LogFacts.command(op: "promote", requestID: "r-7", status: .rejected, reason: "read_only_token").sentence
                == "command promote r-7 rejected: read only token")
        let until = Timestamp(millis: 1_795_440_000_000 + 30_000)
        #expect(
            LogFacts.inhibited(until: until, reason: "recent_failover").sentence == "failover inhibited until \(until.clockTime): recent failover")
        #expect(until.clockTime.count == 8)
        #expect(LogFacts.suppressed(node: "node-1", state: "primary").sentence == "node-1 already primary: repeat suppressed, nothing changed")
    }

    @Test func engineLines() {
        #expect(LogFacts.paused(true).sentence == "cluster paused: automatic failover is off")
        #expect(
            LogFacts.switchoverScheduled(ScheduledSwitchover(at: nil, from: "pg1", to: nil)).sentence == "switchover scheduled: pg1 -> any replica")
        #expect(LogFacts.engineState(node: "pg2", from: "running", to: "stopped").sentence == "pg2 running -> stopped")
        #expect(LogFacts.pendingRestart(node: "pg2", pending: true).sentence == "pg2 needs a restart (pending restart)")
        #expect(LogFacts.tags(node: "pg3", [JSONField("nofailover", .bool(true))]).sentence == "pg3 tags: nofailover=true")
        #expect(LogFacts.tags(node: "pg3", []).sentence == "pg3 tags: none")
        #expect(
            LogFacts.timelineEnded(term: 2, leader: "pg3", reason: "no recovery target specified").sentence
                == "timeline 2 ended: pg3 leads timeline 3: no recovery target specified")
    }

    @Test func anEntryReadsAsItsFacts() {
        var f = EnvelopeFactory()
        var s = ClusterState()
        s.apply(f.make(.nodeLeft(NodeLeft(node: "node-3", reason: .shutdown))))
        #expect(s.log.last?.text == "node-3 left: shutdown")
    }
}
