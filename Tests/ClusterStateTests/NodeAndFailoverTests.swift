import ClusterProtocol
import ClusterState
import ClusterdashTesting
import Testing

@Suite struct NodeAndFailoverTests {
    /// Log lines carry a typed kind: the dashboard reads it, never the wire type string.
    @Test func logLinesCarryATypedKind() {
        var f = EnvelopeFactory()
        var s = seeded(&f)
        s.apply(f.make(.demoted(Demoted(node: "node-1", cause: .health, term: 7))))
        #expect(s.log.last?.kind == .demoted(node: "node-1", cause: .health, term: 7))
        #expect(s.log.last?.kind.isLeadershipChange == true)
        s.apply(f.make(.leaderElected(LeaderElected(term: 8, leader: "node-2", votes: 2))))
        #expect(s.log.last?.kind == .leaderElected(term: 8, leader: "node-2"))
        s.apply(f.make(.roleChanged(RoleChanged(node: "node-3", from: .replica, to: .primary, term: 8, reason: nil)), source: "node-3"))
        s.apply(f.make(.roleChanged(RoleChanged(node: "node-2", from: .replica, to: .primary, term: 8, reason: nil)), source: "node-2"))
        #expect(s.log.contains { if case .splitBrain = $0.kind { return true } else { return false } })
        s.apply(f.make(.unknown(type: "vendor.thing", raw: .object(JSONObject()))))
        #expect(s.log.last?.kind == .unknown(type: "vendor.thing"))
        #expect(s.log.last?.kind.isTimelineWorthy == false)
    }

    @Test func joinLeaveRoleHealthAndState() {
        var f = EnvelopeFactory()
        var s = seeded(&f)
        s.apply(f.make(.nodeJoined(NodeJoined(node: NodeInfo(id: "node-10", region: "eu-west", role: .replica, term: 7)))))
        #expect(s.orderedNodes.map(\.id) == ["node-1", "node-2", "node-3", "node-10"])
        #expect(s.log.last?.facts == .joined(node: "node-10", role: .replica, region: "eu-west"))

        s.apply(f.make(.healthChanged(HealthChanged(node: "node-2", from: .healthy, to: .unhealthy, consecutiveFailures: 5, detail: "disk full"))))
        #expect(s.nodes["node-2"]?.info.health == .unhealthy)
        #expect(s.nodes["node-2"]?.consecutiveFailures == 5)
        #expect(s.log.last?.severity == .critical)
        #expect(s.log.last?.facts == .health(node: "node-2", from: .healthy, to: .unhealthy, failedChecks: 5, detail: "disk full"))

        s.apply(
            f.make(
                .stateChanged(
                    StateChanged(
                        node: "node-1", from: .stable, to: .rebalancing, calculatorState: .rebalancing, reason: .plannedScale, windowMillis: nil))))
        #expect(s.nodes["node-1"]?.info.managerState == .rebalancing)
        #expect(s.rebalance?.reason == .plannedScale)
        #expect(s.rebalance?.windowMillis == 10_000)
        #expect(s.log.last?.facts == .managerState(node: "node-1", from: .stable, to: .rebalancing, reason: .plannedScale, windowMillis: 10_000))

        s.apply(f.make(.nodeLeft(NodeLeft(node: "node-3", reason: .crashed))))
        #expect(s.nodes["node-3"]?.isPresent == false)
        #expect(s.orderedNodes.last?.id == "node-3")
        #expect(s.log.last?.facts == .left(node: "node-3", reason: .crashed))
    }

    @Test func electionAndDemotionExplainThemselves() {
        var f = EnvelopeFactory()
        var s = seeded(&f)
        s.apply(f.make(.demoted(Demoted(node: "node-1", cause: .quorumLoss, term: 7))))
        #expect(s.log.last?.facts == .demoted(node: "node-1", cause: .quorumLoss, term: 7))
        #expect(s.nodes["node-1"]?.info.role == .replica)
        #expect(s.hasNoPrimary)
        #expect(s.leader == nil)

        s.apply(f.make(.electionStarted(ElectionStarted(term: 8, candidate: "node-2")), source: "node-2"))
        #expect(s.nodes["node-2"]?.info.role == .candidate)
        #expect(s.term == 8)
        s.apply(f.make(.leaderElected(LeaderElected(term: 8, leader: "node-2", votes: 2)), source: "node-2"))
        s.apply(f.make(.roleChanged(RoleChanged(node: "node-2", from: .candidate, to: .primary, term: 8, reason: nil)), source: "node-2"))
        #expect(s.primaries == ["node-2"])
        #expect(s.leader == "node-2")
        #expect(s.nodes["node-2"]?.info.lagMillis == nil)
        #expect(s.followers["node-2"] == nil)
        #expect(s.orderedNodes.first?.id == "node-2")
        #expect(s.log.last?.facts == .roleChanged(node: "node-2", from: .candidate, to: .primary, term: 8, reason: nil))
    }

    @Test func splitBrainIsDetectedAndLogged() {
        var f = EnvelopeFactory()
        var s = seeded(&f)
        #expect(!s.isSplitBrain)
        s.apply(f.make(.roleChanged(RoleChanged(node: "node-3", from: .replica, to: .primary, term: 7, reason: nil)), source: "node-3"))
        #expect(s.isSplitBrain)
        #expect(s.primaries == ["node-1", "node-3"])
        #expect(s.log.last?.severity == .critical)
        #expect(s.log.last?.facts == .splitBrain(primaries: ["node-1", "node-3"]))
    }

    @Test func quorumFollowsHealthAndMembership() {
        var f = EnvelopeFactory()
        var s = seeded(&f, nodes: 5)
        #expect(s.quorum == QuorumStatus(members: 5, serviceable: 5))
        #expect(s.quorum.present)
        // A node that left is out of the membership: 4 members.
        s.apply(f.make(.nodeLeft(NodeLeft(node: "node-5", reason: .crashed))))
        #expect(s.quorum == QuorumStatus(members: 4, serviceable: 4))
        s.apply(f.make(.healthChanged(HealthChanged(node: "node-4", from: .healthy, to: .unhealthy, consecutiveFailures: 3, detail: nil))))
        // 3 of 4 serviceable, 3 needed: still a majority.
        #expect(s.quorum.present)
        s.apply(f.make(.healthChanged(HealthChanged(node: "node-3", from: .healthy, to: .degraded, consecutiveFailures: 2, detail: nil))))
        #expect(!s.quorum.present)
        // A suspect node still counts.
        s.apply(f.make(.healthChanged(HealthChanged(node: "node-3", from: .degraded, to: .suspect, consecutiveFailures: 1, detail: nil))))
        #expect(s.quorum.present)
        s.apply(f.make(.nodeLeft(NodeLeft(node: "node-4", reason: .shutdown))))
        #expect(s.quorum == QuorumStatus(members: 3, serviceable: 3))
    }

    @Test func promotionGroupedByCorrelation() {
        var f = EnvelopeFactory()
        var s = seeded(&f)
        let r = "r-5"
        s.apply(f.make(.commandResult(CommandResult(requestID: r, op: "promote", status: .accepted, reason: nil)), correlation: r))
        s.apply(f.make(.promotionRequested(PromotionRequested(requestID: r, candidate: "node-3", requestedBy: "alice")), correlation: r))
        #expect(s.promotions[r]?.phase == .requested)
        #expect(s.promotions[r]?.oldPrimary == "node-1")
        let checks = Invariant.allCases.map { ValidationCheck(invariant: $0, ok: true, detail: nil) }
        s.apply(f.make(.promotionValidated(PromotionValidated(requestID: r, candidate: "node-3", checks: checks)), correlation: r))
        #expect(s.promotions[r]?.phase == .transferring)
        s.apply(f.make(.demoted(Demoted(node: "node-1", cause: .gracefulHandoff, term: 7)), correlation: r))
        s.apply(
            f.make(.authorityTransferred(AuthorityTransferred(requestID: r, oldPrimary: "node-1", newPrimary: "node-3", term: 8)), correlation: r))
        s.apply(
            f.make(
                .roleChanged(RoleChanged(node: "node-3", from: .replica, to: .primary, term: 8, reason: "promotion")), source: "node-3",
                correlation: r))
        let p = s.promotions[r]
        #expect(p?.phase == .completed)
        #expect(p?.oldPrimary == "node-1" && p?.newPrimary == "node-3" && p?.term == 8 && p?.checks.count == 6 && p?.checks.allSatisfy(\.ok) == true)
        #expect(s.primaries == ["node-3"])
        #expect(s.term == 8)
        #expect(s.log.filter { $0.correlationID == r }.count == 6)
    }

    @Test func deniedAndRejectedPromotions() throws {
        var f = EnvelopeFactory()
        var s = seeded(&f)
        s.apply(f.make(.promotionRequested(PromotionRequested(requestID: "r-4", candidate: "node-2", requestedBy: nil))))
        s.apply(
            f.make(
                .promotionDenied(
                    PromotionDenied(
                        requestID: "r-4", candidate: "node-2", reasons: [DenialReason(invariant: .candidateCaughtUp, detail: "lag 12 s > 5 s")]))))
        #expect(s.promotions["r-4"]?.phase == .denied)
        let denied = try #require(s.promotions["r-4"])
        #expect(denied.denials == [DenialReason(invariant: .candidateCaughtUp, detail: "lag 12 s > 5 s")])
        #expect(s.log.last?.facts == .promotionEnded(denied))

        s.apply(f.make(.commandResult(CommandResult(requestID: "r-7", op: "promote", status: .rejected, reason: "read_only_token"))))
        #expect(s.promotions["r-7"]?.phase == .rejected)
        #expect(s.log.last?.facts == .command(op: "promote", requestID: "r-7", status: .rejected, reason: "read_only_token"))
        // A result that comes before the request's events: the candidate is filled in later.
        s.apply(f.make(.commandResult(CommandResult(requestID: "r-8", op: "promote", status: .rejected, reason: "lag_too_high"))))
        s.apply(f.make(.promotionRequested(PromotionRequested(requestID: "r-8", candidate: "node-3", requestedBy: nil))))
        s.apply(
            f.make(
                .promotionDenied(
                    PromotionDenied(
                        requestID: "r-8", candidate: "node-3", reasons: [DenialReason(invariant: .candidateCaughtUp, detail: "lag 9 s > 5 s")]))))
        #expect(s.promotions["r-8"]?.denials == [DenialReason(invariant: .candidateCaughtUp, detail: "lag 9 s > 5 s")])
    }

    @Test func inhibitAndSuppressed() {
        var f = EnvelopeFactory()
        var s = seeded(&f)
        let until = f.now.adding(millis: 30_000)
        s.apply(f.make(.inhibited(FailoverInhibited(until: until, reason: "recent_failover"))))
        #expect(s.isInhibited(at: f.now))
        #expect(!s.isInhibited(at: until))
        #expect(s.log.last?.facts == .inhibited(until: until, reason: "recent_failover"))
        s.apply(f.make(.stateChangeSuppressed(StateChangeSuppressed(node: "node-1", state: "primary"))))
        #expect(s.log.last?.facts == .suppressed(node: "node-1", state: "primary"))
    }
}
