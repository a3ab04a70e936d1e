import ClusterProtocol
import ClusterState
import ClusterdashTesting
import Testing

@Suite struct ReplicationTests {
    @Test func lagSamplesBuildABoundedHistory() {
        var f = EnvelopeFactory(stepMillis: 1000)
        var limits = StateLimits()
        limits.lagHistorySamples = 50
        limits.lagHistoryMillis = 30_000
        var s = seeded(&f, limits: limits)
        for i in 0..<200 {
            s.apply(
                f.make(
                    .replicationLag(ReplicationLag(follower: "node-2", leader: "node-1", lagMillis: Int64(i), lagEntries: 1, walPosition: nil)),
                    source: "node-2"))
        }
        let fr = s.followers["node-2"]
        // 1 s apart, 30 s window: 31 samples at most (window bound beats count bound).
        #expect(fr?.history.count == 31)
        #expect(fr?.history.last?.lagMillis == 199)
        #expect(fr?.lagMillis == 199)
        #expect(s.nodes["node-2"]?.info.lagMillis == 199)

        limits.lagHistoryMillis = 10_000_000
        var t = seeded(&f, limits: limits)
        for i in 0..<200 {
            t.apply(
                f.make(
                    .replicationLag(ReplicationLag(follower: "node-2", leader: "node-1", lagMillis: Int64(i), lagEntries: 1, walPosition: nil)),
                    source: "node-2"))
        }
        #expect(t.followers["node-2"]?.history.count == 50)
    }

    @Test func followerStatusTracksSince() {
        var f = EnvelopeFactory()
        var s = seeded(&f)
        let since = f.now
        s.apply(f.make(.followerStatus(FollowerStatus(follower: "node-3", status: .disconnected, since: since))))
        #expect(s.followers["node-3"]?.isConnected == false)
        #expect(s.followers["node-3"]?.statusSince == since)
        #expect(s.log.last?.facts == .followerStatus(follower: "node-3", status: .disconnected, connected: false))
        s.apply(f.make(.followerStatus(FollowerStatus(follower: "node-3", status: .connected, since: nil))))
        #expect(s.followers["node-3"]?.isConnected == true)
    }
}
