import ClusterProtocol
import ClusterState
import ClusterdashTesting
import Testing

@Suite struct PromotionValidatorTests {
    @Test func allSixChecksInOrderWhenAllowed() {
        let v = PromotionValidator.evaluate(candidate: "node-3", nodes: nodes(), inhibitedUntil: nil, now: now)
        #expect(v.allowed)
        #expect(v.checks.map(\.invariant) == Invariant.allCases)
        #expect(v.checks.allSatisfy { $0.ok })
        #expect(v.checks[2].detail == "lag 1.2 s <= 5 s")
        #expect(v.checks[3].detail == "5 of 5 healthy, 3 needed")
        #expect(v.checks[5].detail == "node-1 is demoted before node-3 is promoted")
    }

    @Test func eachDenialReason() {
        func reason(_ candidate: String, _ ns: [PromotionNode], inhibited: Timestamp? = nil, inFlight: Bool = false) -> RejectionReason? {
            PromotionValidator.evaluate(candidate: candidate, nodes: ns, inhibitedUntil: inhibited, now: now, promotionInFlight: inFlight).rejection
        }
        #expect(reason("node-9", nodes()) == .unknownNode)
        #expect(reason("node-1", nodes()) == .alreadyPrimary)
        var candidate = nodes()
        candidate[2].role = .candidate
        #expect(reason("node-3", candidate) == .notAReplica)
        #expect(reason("node-3", nodes(health: .degraded)) == .nodeUnhealthy)
        #expect(reason("node-3", nodes(lag: 5_001)) == .lagTooHigh)
        #expect(reason("node-3", nodes(lag: 5_000)) == nil)
        #expect(reason("node-2", nodes(sick: 3)) == .noQuorum)
        #expect(reason("node-2", nodes(sick: 2)) == nil)
        #expect(reason("node-3", nodes(), inhibited: now.adding(millis: 12_500)) == .failoverInhibited)
        #expect(reason("node-3", nodes(), inhibited: now) == nil)
        #expect(reason("node-3", nodes(), inFlight: true) == .failoverInhibited)
        var gone = nodes()
        gone[2].isPresent = false
        #expect(reason("node-3", gone) == .unknownNode)
        var disconnected = nodes()
        disconnected[2].followerConnected = false
        #expect(reason("node-3", disconnected) == .lagTooHigh)
    }

    @Test func firstFailureIsTheRejectionAndAllFailuresAreDenials() {
        let v = PromotionValidator.evaluate(
            candidate: "node-3", nodes: nodes(lag: 12_000, health: .unhealthy), inhibitedUntil: now.adding(millis: 29_000),
            now: now)
        #expect(v.rejection == .nodeUnhealthy)
        #expect(v.denials.map(\.invariant) == [.candidateHealthy, .candidateCaughtUp, .notInhibited])
        #expect(v.denials[1].detail == "lag 12 s > 5 s")
        #expect(v.denials[2].detail == "failover inhibited for 29 s more")
    }

    @Test func previewFromDashboardState() {
        var f = EnvelopeFactory()
        var s = ClusterState()
        s.apply(f.make(.snapshot(EnvelopeFactory.healthySnapshot(nodes: 3))))
        s.apply(
            f.make(
                .replicationLag(ReplicationLag(follower: "node-2", leader: "node-1", lagMillis: 9_000, lagEntries: 10, walPosition: nil)),
                source: "node-2"))
        #expect(s.promotionPreview(candidate: "node-3", now: f.now).allowed)
        let v = s.promotionPreview(candidate: "node-2", now: f.now)
        #expect(v.rejection == .lagTooHigh)
        #expect(v.checks[2].detail == "lag 9 s > 5 s")
    }
}
