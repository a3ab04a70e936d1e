import ClusterProtocol
import ClusterState
import Dashboard
import EngineKit
import EtcdProtocol
import EventSources
import Testing

@testable import EtcdRules

/// The mapper and the preview on observations as the members gave them:
/// three voters (e1 leader), a learner, a member killed.
@Suite struct EtcdMapperTests {
    static let e1 = EtcdMember(id: 0x1c9a_0000_0000_0001, name: "e1", clientURLs: ["http://127.0.0.1:22379"])
    static let e2 = EtcdMember(id: 0xdf86_da5b_2abb_8a65, name: "e2", clientURLs: ["http://127.0.0.1:22381"])
    static let e3 = EtcdMember(id: 0x876b_0000_0000_0003, name: "e3", clientURLs: ["http://127.0.0.1:22383"])
    static let t0 = Timestamp(millis: 1_780_000_000_000)

    static func status(_ m: EtcdMember, leader: EtcdMember?, term: UInt64 = 4, index: UInt64, learner: Bool = false) -> EtcdStatus {
        EtcdStatus(
            memberID: m.id, leader: leader?.id, raftTerm: term, raftIndex: index, raftAppliedIndex: index, dbSize: 24_576,
            dbSizeInUse: 16_384, version: "3.4.23", isLearner: learner)
    }

    static func healthy(e2Index: UInt64 = 90) -> EtcdObservation {
        EtcdObservation(
            members: [e3, e1, e2],
            statuses: [
                e1.id: status(e1, leader: e1, index: 100), e2.id: status(e2, leader: e1, index: e2Index), e3.id: status(e3, leader: e1, index: 100),
            ])
    }

    static func state(_ polls: [EtcdObservation]) -> (ClusterState, [PolledCluster]) {
        var mapper = EtcdMapper()
        var differ = PollDiffer(source: "etcd-test", idPrefix: "t-")
        var state = ClusterState()
        var polled: [PolledCluster] = []
        for (i, o) in polls.enumerated() {
            let at = t0.adding(millis: Int64(i) * 500)
            let c = mapper.cluster(o, name: "etcd-test", at: at)
            polled.append(c)
            for e in differ.diff(c, at: at) { state.apply(e) }
        }
        return (state, polled)
    }

    @Test func theLeaderIsThePrimaryAndLagIsRaftEntriesBehindIt() throws {
        let (s, polled) = Self.state([Self.healthy()])
        let c = try #require(polled.first)
        #expect(c.primaries == ["e1"])
        #expect(c.nodes.map(\.id) == ["e1", "e2", "e3"])
        #expect(c.term == 4)
        let e2 = try #require(c.nodes.first { $0.id == "e2" })
        #expect(e2.role == .replica && e2.engine?.role == "follower" && e2.engine?.lagBytes == 10 && e2.engine?.lagState == .measured)
        #expect(e2.engine?.position == "index 90, db 24.0 KiB (16.0 KiB in use)")
        #expect(c.engine?.lagUnit == "raft entries")
        #expect(s.lagCounted && formatLagCount(10, unit: s.lagCountUnit) == "10 entries")
        #expect(s.quorum.present && s.quorum.members == 3 && s.quorum.serviceable == 3)
    }

    @Test func aKilledMemberHasUnknownLagNeverZeroAndSaysSinceWhen() throws {
        var dead = Self.healthy()
        dead.statuses[Self.e2.id] = nil
        dead.unreachable[Self.e2.id] = "refused"
        var seen = dead
        seen.leaderSeesPeer = [Self.e2.id: false, Self.e3.id: true]
        let (s, polled) = Self.state([Self.healthy(), dead, seen])
        let first = try #require(polled[1].nodes.first { $0.id == "e2" })
        #expect(first.health == .suspect)
        let e2 = try #require(polled[2].nodes.first { $0.id == "e2" })
        #expect(e2.health == .unhealthy)
        #expect(e2.engine?.lagState == .unknown && e2.engine?.lagBytes == nil)
        #expect(e2.engine?.state == "unreachable: refused; the leader lost it too (since \(Self.t0.adding(millis: 500).clockTime))")
        #expect(s.followers["e2"]?.lagState == .unknown)
        #expect(s.quorum.present && s.quorum.serviceable == 2)
        #expect(EtcdRules().redundancyLost(in: s).first?.contains("one more failure") == true)
    }

    @Test func aKilledLeaderIsReplacedAndTheLogSaysFailover() throws {
        var election = Self.healthy()
        election.statuses = [
            Self.e2.id: Self.status(Self.e2, leader: nil, term: 5, index: 100), Self.e3.id: Self.status(Self.e3, leader: nil, term: 5, index: 100),
        ]
        election.unreachable = [Self.e1.id: "refused"]
        var elected = election
        elected.statuses = [
            Self.e2.id: Self.status(Self.e2, leader: Self.e3, term: 5, index: 101),
            Self.e3.id: Self.status(Self.e3, leader: Self.e3, term: 5, index: 101),
        ]
        let (s, polled) = Self.state([Self.healthy(), election, election, elected])
        #expect(polled[2].primaries == ["e1"], "no one elected yet: the dead leader is the last one seen")
        #expect(polled[2].nodes.first { $0.id == "e2" }?.engine?.state?.hasPrefix("started, no leader") == true)
        #expect(s.primaries == ["e3"])
        #expect(s.term == 5)
        #expect(s.log.map(\.text).contains { $0.contains("failover: leader lost") }, "\(s.log.map(\.text))")
    }

    @Test func aLearnerIsAReplicaThatDoesNotVote() throws {
        let learner = EtcdMember(id: 0x636b_edb0_4281_7c19, name: "e4", clientURLs: ["http://127.0.0.1:22385"], isLearner: true)
        var o = Self.healthy()
        o.members.append(learner)
        o.statuses[learner.id] = Self.status(learner, leader: Self.e1, index: 95, learner: true)
        let (s, polled) = Self.state([o])
        let e4 = try #require(polled[0].nodes.first { $0.id == "e4" })
        #expect(e4.role == .replica && e4.engine?.role == "learner")
        #expect(s.quorum.members == 3 && s.quorum.needed == 2)
        // 95 of 100: etcd takes it (90 %).
        let verdict = EtcdRules().preview(candidate: "e4", in: s, limits: PreviewLimits(now: Self.t0))
        #expect(verdict.rejection == nil, "\(verdict.checks)")
        // Not started: etcd refuses, and so does the preview.
        var unstarted = Self.healthy()
        unstarted.members.append(EtcdMember(id: learner.id, name: "", peerURLs: ["http://127.0.0.1:22386"], isLearner: true))
        let (s2, polled2) = Self.state([unstarted])
        #expect(polled2[0].nodes.first { $0.id == "636bedb042817c19" }?.engine?.state?.hasPrefix("unstarted") == true)
        #expect(EtcdRules().preview(candidate: "636bedb042817c19", in: s2, limits: PreviewLimits(now: Self.t0)).rejection == .nodeUnhealthy)
    }

    @Test func aFollowerTooFarBehindOrAnAlarmIsRefusedByThePreview() throws {
        let (ok, _) = Self.state([Self.healthy()])
        #expect(EtcdRules().preview(candidate: "e2", in: ok, limits: PreviewLimits(now: Self.t0)).rejection == nil)
        #expect(EtcdRules().preview(candidate: "e1", in: ok, limits: PreviewLimits(now: Self.t0)).rejection == .alreadyPrimary)
        let (behind, _) = Self.state([Self.healthy(e2Index: 90)])
        let tight = PreviewLimits(now: Self.t0, lagLimitTransactions: 5)
        #expect(EtcdRules().preview(candidate: "e2", in: behind, limits: tight).rejection == .lagTooHigh)
        var alarmed = Self.healthy()
        alarmed.alarms = [EtcdAlarm(memberID: Self.e1.id, alarm: "NOSPACE")]
        let (a, polled) = Self.state([Self.healthy(), alarmed])
        #expect(polled[1].nodes.first { $0.id == "e1" }?.health == .degraded)
        #expect(a.log.map(\.text).contains { $0.contains("alarm NOSPACE") })
        #expect(a.engine?.state == "under alarm NOSPACE", "the cluster's state: an alert on every screen")
        #expect(EtcdRules().preview(candidate: "e2", in: a, limits: PreviewLimits(now: Self.t0)).rejection == .failoverInhibited)
    }

    @Test func membersFollowingDifferentLeadersInOneTermAreADivergence() {
        var o = Self.healthy()
        o.statuses[Self.e3.id] = Self.status(Self.e3, leader: Self.e3, index: 100)
        let c = Self.state([o]).1[0]
        #expect(c.engine?.divergence.count == 3)
    }
}
