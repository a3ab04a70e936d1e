import ClusterProtocol
import ClusterState
import EventSources
import RedisSource
import Testing

/// The Sentinel mapper on the fields Sentinel answers with (`SENTINEL
/// MASTER`, `SENTINEL REPLICAS`, as read from the real setup): health from
/// the flags, the agreed master, divergence, the term held until the master
/// changes, and Sentinel's likely choice.
@Suite struct RedisSentinelMapperTests {
    typealias View = RedisSentinelObservation.SentinelView

    func view(master port: Int, flags: String = "master", epoch: Int = 0, replicas: [(Int, String, String)] = [(16381, "slave", "100")]) -> View {
        View(
            master: [
                "name": "mymaster", "ip": "127.0.0.1", "port": "\(port)", "flags": flags, "config-epoch": "\(epoch)", "quorum": "2",
                "num-other-sentinels": "2",
            ],
            replicas: replicas.map { p, f, prio in
                ["ip": "127.0.0.1", "port": "\(p)", "flags": f, "master-link-status": "ok", "slave-priority": prio]
            })
    }

    func observation(_ views: [String: View]) -> RedisSentinelObservation {
        var o = RedisSentinelObservation()
        o.views = views
        o.masterInfo = RedisInfo("connected_slaves:1\r\nslave0:ip=127.0.0.1,port=16381,state=online,offset=900,lag=1\r\nmaster_repl_offset:1000\r\n")
        return o
    }

    @Test func flagsAreHealthAndTheQuorumIsTold() throws {
        var mapper = RedisSentinelMapper(name: "mymaster")
        let all = ["127.0.0.1:26380", "127.0.0.1:26381", "127.0.0.1:26382"]
        var c = mapper.cluster(observation(Dictionary(uniqueKeysWithValues: all.map { ($0, view(master: 16380)) })))
        #expect(c.primaries == ["127.0.0.1:16380"])
        #expect(c.nodes.map(\.health) == [.healthy, .healthy])
        let replica = try #require(c.nodes.last)
        #expect(replica.engine?.lagBytes == 100)
        #expect(replica.engine?.ackAgeMillis == 1000)
        #expect(c.engine?.quorum == 2)
        #expect(c.engine?.witnesses == 3)
        #expect(c.engine?.sentinels == 3)
        // One sentinel sees it down: suspect; o_down: unhealthy.
        var views = Dictionary(uniqueKeysWithValues: all.map { ($0, view(master: 16380)) })
        views["127.0.0.1:26380"] = view(master: 16380, flags: "master,s_down")
        c = mapper.cluster(observation(views))
        #expect(c.nodes.first?.health == .suspect)
        #expect(c.engine?.witnesses == 2)
        c = mapper.cluster(observation(Dictionary(uniqueKeysWithValues: all.map { ($0, view(master: 16380, flags: "master,s_down,o_down")) })))
        #expect(c.nodes.first?.health == .unhealthy)
        // A replica with priority 0 is never promoted; one in s_down is out.
        c = mapper.cluster(
            observation(
                Dictionary(
                    uniqueKeysWithValues: all.map { ($0, view(master: 16380, replicas: [(16381, "slave", "0"), (16382, "slave,s_down", "100")])) })))
        #expect(c.nodes.first { $0.id == "127.0.0.1:16381" }?.engine?.tag("nofailover") == "true")
        #expect(c.nodes.first { $0.id == "127.0.0.1:16382" }?.health == .unhealthy)
        #expect(RedisSentinelMapper.likelyChoice(c.nodes) == nil, "no replica Sentinel would pick")
    }

    @Test func sentinelsThatNameAnotherMasterForLongRaiseTheAlarm() {
        var mapper = RedisSentinelMapper(name: "mymaster")
        let views = ["127.0.0.1:26380": view(master: 16380), "127.0.0.1:26381": view(master: 16380), "127.0.0.1:26382": view(master: 16381)]
        #expect(mapper.cluster(observation(views)).engine?.divergence == [])
        _ = mapper.cluster(observation(views))
        let c = mapper.cluster(observation(views))
        #expect(c.primaries == ["127.0.0.1:16380"], "the master most sentinels name")
        #expect(c.engine?.divergence.count == 1)
        #expect(c.engine?.divergence.first?.contains("127.0.0.1:16381 per 127.0.0.1:26382") == true, "\(c.engine?.divergence ?? [])")
    }

    @Test func theTermMovesWithTheMasterNotBeforeIt() {
        var mapper = RedisSentinelMapper(name: "mymaster")
        let s = "127.0.0.1:26380"
        #expect(mapper.cluster(observation([s: view(master: 16380, epoch: 1)])).term == 1)
        // +new-epoch: the failover started, the master is still the old one.
        #expect(mapper.cluster(observation([s: view(master: 16380, epoch: 2)])).term == 1)
        // +switch-master: the new master, the new term.
        #expect(mapper.cluster(observation([s: view(master: 16381, epoch: 2, replicas: [(16380, "slave", "100")])])).term == 2)
    }
}
