import ClusterProtocol
import ClusterState
import Dashboard
import EngineKit
import EventSources
import Testing

@testable import JetStreamProtocol
@testable import JetStreamRules
@testable import JetStreamSource

/// The mapper and the preview on reports as nats-server 2.9.10 gave them
/// (`JetStreamAnswers`): n2 the meta leader, n1 leading ORDERS and the R1
/// SCRATCH, EVENTS led by n2; then n3 and n1 killed.
@Suite struct JetStreamMapperTests {
    static let t0 = Timestamp(millis: 1_780_000_000_000)

    static func report(_ text: String) throws -> JetStreamServerReport { try JetStreamParse.serverReport(Array(text.utf8)) }

    /// n3's own report: a follower everywhere, its views of others' streams its own.
    static let n3 = JetStreamServerReport(
        name: "n3", version: "2.9.10", tags: ["az:3"], cluster: "clusterdash", meta: JetStreamGroup(leader: "n2"), clusterSize: 3,
        streams: [
            JetStreamStream(
                account: "APP", name: "ORDERS", group: JetStreamGroup(leader: "n1", replicas: [JetStreamPeer(name: "n2", current: true, lag: 99)]),
                numReplicas: 3)
        ])

    static func healthy() throws -> JetStreamObservation {
        let n1 = try report(JetStreamAnswers.followerJSZ)
        let n2 = try report(JetStreamAnswers.leaderJSZ)
        return JetStreamObservation(reports: ["n1": n1, "n2": n2, "n3": n3])
    }

    static func state(_ polls: [JetStreamObservation], mapper: JetStreamMapper = JetStreamMapper()) -> (ClusterState, [PolledCluster]) {
        var mapper = mapper
        var differ = PollDiffer(source: "nats-test", idPrefix: "t-")
        var state = ClusterState()
        var polled: [PolledCluster] = []
        for (i, o) in polls.enumerated() {
            let at = t0.adding(millis: Int64(i) * 500)
            let c = mapper.cluster(o, name: "nats-test", at: at)
            polled.append(c)
            for e in differ.diff(c, at: at) { state.apply(e) }
        }
        return (state, polled)
    }

    @Test func theMetaLeaderIsThePrimaryAndEachStreamIsTakenFromItsLeader() throws {
        let (s, polled) = Self.state([try Self.healthy()])
        let c = try #require(polled.first)
        #expect(c.primaries == ["n2"])
        #expect(c.nodes.map(\.id) == ["n1", "n2", "n3"])
        // The meta lag as the meta leader sees it.
        let n3 = try #require(c.nodes.first { $0.id == "n3" })
        #expect(n3.engine?.lagBytes == 7 && n3.engine?.lagState == .measured && n3.engine?.role == "follower")
        #expect(n3.engine?.state == "running, catching up")
        // ORDERS from n1 (its leader), not n2's or n3's view: n3 4 entries behind.
        #expect(n3.engine?.position?.contains("EVENTS 613 entries behind") == true, "\(n3.engine?.position ?? "")")
        let n2 = try #require(c.nodes.first { $0.id == "n2" })
        #expect(n2.engine?.role == "meta leader" && n2.engine?.lagBytes == nil && n2.engine?.tag("az:2") == "true")
        #expect(n2.engine?.position == "leads 1, follows 1 streams, 2.0 KiB stored")
        let table = try #require(c.assignment)
        #expect(table.partitions.map(\.name) == ["EVENTS", "ORDERS", "SCRATCH"])
        #expect(table.partitions.map(\.worker) == ["n2", "n1", "n1"])
        #expect(c.engine?.state == nil, "\(c.engine?.state ?? "")")
        #expect(c.engine?.lagUnit == "raft entries")
        #expect(s.quorum.present && s.quorum.members == 3 && s.quorum.serviceable == 3)
        #expect(s.assignment?.workers["n1"]?.partitions == 2)
    }

    /// n1 SIGKILLed: its reports stop, the meta leader stops hearing it.
    /// Its lag is unknown (never 0), its state says since when and that the
    /// meta leader lost it too; the R1 SCRATCH it alone held stays listed,
    /// leaderless; ORDERS, named led by n1 in n3's stale view, has no leader.
    @Test func aKilledServerIsDownAndItsStreamsLeaderless() throws {
        let healthy = try Self.healthy()
        var dead = healthy
        dead.reports["n1"] = nil
        var n2 = try #require(dead.reports["n2"])
        n2.meta?.replicas = [JetStreamPeer(name: "n1", current: true, activeNanos: 4_200_000_000), JetStreamPeer(name: "n3", current: true)]
        n2.streams.removeAll { $0.name == "ORDERS" }
        dead.reports["n2"] = n2
        let (s, polled) = Self.state([healthy, dead, dead])
        let c = try #require(polled.last)
        let n1 = try #require(c.nodes.first { $0.id == "n1" })
        #expect(n1.health == .unhealthy && n1.engine?.lagState == .unknown && n1.engine?.lagBytes == nil)
        #expect(n1.engine?.state?.hasPrefix("no answer; the meta leader lost it too (since ") == true, "\(n1.engine?.state ?? "")")
        let table = try #require(c.assignment)
        #expect(table.partitions.map(\.name) == ["EVENTS", "ORDERS", "SCRATCH"])
        #expect(table.partitions.map(\.worker) == ["n2", nil, nil])
        #expect(c.engine?.state?.hasPrefix("no leader: ORDERS, SCRATCH") == true, "\(c.engine?.state ?? "")")
        #expect(JetStreamRules().severity(ofState: c.engine?.state ?? "") == .critical)
        #expect(s.quorum.present && s.quorum.serviceable == 2)
        #expect(s.orphanedPartitions == 2)
        // One poll missed is suspect, not yet down.
        let (_, once) = Self.state([
            healthy,
            {
                var o = healthy
                o.reports["n1"] = nil
                return o
            }(),
        ])
        #expect(once.last?.nodes.first { $0.id == "n1" }?.health == .suspect)
    }

    /// A server removed from the cluster (`SERVER.REMOVE`): the meta leader
    /// no longer counts it, it answers nothing and holds no stream; it leaves.
    @Test func aServerRemovedFromTheMetaGroupLeaves() throws {
        let healthy = try Self.healthy()
        var removed = healthy
        removed.reports["n3"] = nil
        for k in ["n1", "n2"] {
            removed.reports[k]?.meta?.replicas.removeAll { $0.name == "n3" }
            for i in removed.reports[k]?.streams.indices ?? 0..<0 { removed.reports[k]?.streams[i].group?.replicas.removeAll { $0.name == "n3" } }
        }
        let (s, polled) = Self.state([healthy, removed])
        #expect(polled.last?.nodes.map(\.id) == ["n1", "n2"])
        #expect(s.nodes["n3"]?.isPresent != true)
    }

    /// A stream every server it lived on answers without: deleted, gone.
    @Test func aStreamDeletedLeavesTheTable() throws {
        let healthy = try Self.healthy()
        var deleted = healthy
        for k in ["n1", "n2", "n3"] { deleted.reports[k]?.streams.removeAll { $0.name == "SCRATCH" } }
        let (_, polled) = Self.state([healthy, deleted])
        #expect(polled.last?.assignment?.partitions.map(\.name) == ["EVENTS", "ORDERS"])
        #expect(polled.last.map { $0.assignment?.version ?? 0 > polled[0].assignment?.version ?? 0 } == true)
    }

    /// Fewer peers than `num_replicas` (a failed PEER.REMOVE leaves it
    /// silently), and a leader whose replicas are unheard: said on the cluster.
    @Test func underReplicatedAndQuorumLostAreSaid() throws {
        var o = try Self.healthy()
        var n1 = try #require(o.reports["n1"])
        let i = try #require(n1.streams.firstIndex { $0.name == "ORDERS" })
        n1.streams[i].group?.replicas = [JetStreamPeer(name: "n2", current: true, activeNanos: 9_000_000_000)]
        o.reports["n1"] = n1
        let (_, polled) = Self.state([o])
        let state = polled.last?.engine?.state ?? ""
        #expect(state.contains("quorum lost: ORDERS") && state.contains("under-replicated: ORDERS (2 of 3 peers)"), "\(state)")
    }

    @Test func theAccountViewSaysWhatItCannotSee() {
        let orders = JetStreamStream(
            account: "", name: "ORDERS", group: JetStreamGroup(leader: "n1", replicas: [JetStreamPeer(name: "n2", current: true)]),
            numReplicas: 3)
        let o = JetStreamObservation(systemView: false, accountStreams: [orders], unansweredStreams: ["EVENTS"])
        let (_, polled) = Self.state([o])
        let c = polled[0]
        #expect(c.primaries.isEmpty && c.nodes.map(\.id) == ["n1", "n2"])
        #expect(c.engine?.accepts == [] && c.engine?.quorum == nil)
        #expect(c.engine?.state?.contains("no leader: EVENTS") == true && c.engine?.state?.contains("account view") == true)
        #expect(c.assignment?.partitions.map(\.worker) == ["n1"])
    }

    @Test func thePreviewStepsTheMetaLeaderDownTowardACurrentFollower() throws {
        let (s, _) = Self.state([try Self.healthy()])
        let limits = PreviewLimits(now: Self.t0)
        let n1 = JetStreamRules().preview(candidate: "n1", in: s, limits: limits)
        #expect(n1.rejection == nil, "\(n1.checks)")
        #expect(JetStreamRules().preview(candidate: "n2", in: s, limits: limits).rejection == .alreadyPrimary)
        #expect(JetStreamRules().preview(candidate: "n9", in: s, limits: limits).rejection == .unknownNode)
        // 7 entries behind with a limit of 5.
        let strict = PreviewLimits(now: Self.t0, lagLimitTransactions: 5)
        #expect(JetStreamRules().preview(candidate: "n3", in: s, limits: strict).rejection == .lagTooHigh)
    }

    @Test func aStepDownNamesThePreferredServerOnlyToServersThatKnowIt() {
        #expect(JetStreamSource.stepDownBody(toward: "n3", leaderVersion: "2.9.10").isEmpty)
        #expect(
            String(decoding: JetStreamSource.stepDownBody(toward: "n3", leaderVersion: "2.15.1"), as: UTF8.self)
                == #"{"placement":{"preferred":"n3"}}"#)
        #expect(JetStreamSource.stepDownBody(toward: "n3", leaderVersion: nil).isEmpty)
    }

    @Test func settingsRefuseWhatIsNotAServersURL() {
        #expect(JetStreamSettings.problem("nats://127.0.0.1:4222") == nil)
        #expect(JetStreamSettings.problem("nats://sys:secret@127.0.0.1:4222")?.contains("secret") == false)
        #expect(JetStreamSettings.problem("http://127.0.0.1:8222") != nil)
        #expect(JetStreamSettings.problem("nats://127.0.0.1") != nil)
    }
}
