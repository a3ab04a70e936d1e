import ClusterProtocol
import ClusterState
import EventSources
import Foundation
import Testing

@testable import PatroniRules
@testable import PatroniSource

func fixture(_ name: String) throws -> [UInt8] {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)")
    return Array(try Data(contentsOf: url))
}

@Suite("Patroni: parse, map and diff (pure)") struct PatroniDiffTests {
    @Test("/cluster in steady state: a leader and two replicas at 0 bytes")
    func steady() throws {
        let view = try PatroniParse.cluster(fixture("cluster-steady.json"))
        #expect(view.members.map(\.name) == ["pg1", "pg2", "pg3"])
        #expect(view.members[1].isLeader)
        #expect(view.members[0].lag == .bytes(0))
        #expect(view.members[1].lag == .absent)
        #expect(view.members[0].restBase == "http://127.0.0.1:8008")
        var mapper = PatroniMapper(scope: "dash")
        let polled = mapper.cluster(PatroniObservation(view: view))
        #expect(polled.primaries == ["pg2"])
        #expect(polled.term == 1)
        let pg1 = try #require(polled.nodes.first { $0.id == "pg1" })
        #expect(pg1.engine?.lagState == .measured)
        #expect(pg1.engine?.lagBytes == 0)
        #expect(pg1.address == "127.0.0.1:5433")
        #expect(polled.nodes.first { $0.id == "pg2" }?.engine?.lagState == nil)
    }

    @Test("mid-switchover: a missing timeline keeps the last, lag \"unknown\" stays unknown, pause, tags and a scheduled switchover are read")
    func midSwitchover() throws {
        var mapper = PatroniMapper(scope: "dash")
        _ = mapper.cluster(PatroniObservation(view: try PatroniParse.cluster(fixture("cluster-steady.json"))))
        let view = try PatroniParse.cluster(fixture("cluster-mid-switchover.json"))
        #expect(view.paused)
        #expect(view.scheduledSwitchover?.to == "pg3")
        #expect(view.scheduledSwitchover?.at == Timestamp(rfc3339: "2026-11-23T14:00:00Z"))
        let polled = mapper.cluster(PatroniObservation(view: view))
        let pg2 = try #require(polled.nodes.first { $0.id == "pg2" })
        #expect(pg2.term == 1, "the timeline Patroni left out is the one it had")
        #expect(pg2.engine?.lagState == .unknown)
        #expect(pg2.engine?.lagBytes == nil, "unknown is never a false 0")
        #expect(pg2.health == .degraded)
        let pg3 = try #require(polled.nodes.first { $0.id == "pg3" })
        #expect(pg3.engine?.lagBytes == 26_626_856)
        #expect(pg3.engine?.tag("nofailover") == "true")
        #expect(polled.engine?.paused == true)
    }

    @Test("lag: negative is ahead, a starting member is starting, a leader has none")
    func lagStates() {
        #expect(PatroniMapper.lag(PatroniMember(name: "a", role: "replica", state: "running", lag: .bytes(-5))) == (nil, .ahead))
        #expect(PatroniMapper.lag(PatroniMember(name: "a", role: "replica", state: "starting", lag: .bytes(9_000_000))) == (nil, .starting))
        #expect(PatroniMapper.lag(PatroniMember(name: "a", role: "replica", state: "running", lag: .absent)) == (nil, .unknown))
        #expect(PatroniMapper.lag(PatroniMember(name: "a", role: "sync_standby", state: "streaming", lag: .bytes(48))) == (48, .measured))
        #expect(PatroniMapper.lag(PatroniMember(name: "a", role: "leader", state: "running", lag: .bytes(0))) == (nil, nil))
    }

    @Test("a member whose API misses polls is suspect, then unhealthy after three")
    func unreachable() throws {
        var mapper = PatroniMapper(scope: "dash")
        let view = try PatroniParse.cluster(fixture("cluster-steady.json"))
        var health: [NodeHealth] = []
        for _ in 0..<3 {
            let polled = mapper.cluster(PatroniObservation(view: view, unreachable: ["pg2"]))
            health.append(polled.nodes.first { $0.id == "pg2" }?.health ?? .healthy)
        }
        #expect(health == [.suspect, .suspect, .unhealthy])
        let back = mapper.cluster(PatroniObservation(view: view))
        #expect(back.nodes.first { $0.id == "pg2" }?.health == .healthy)
    }

    @Test("diff: a switchover is a role change with its cause, a demotion, the transfer and the new term; ids unique, seqs consecutive")
    func switchoverDiff() throws {
        var mapper = PatroniMapper(scope: "dash")
        var differ = PollDiffer(source: "patroni/dash", idPrefix: "t-")
        let t0 = Timestamp(millis: 1_000_000)
        let first = differ.diff(mapper.cluster(PatroniObservation(view: try PatroniParse.cluster(fixture("cluster-steady.json")))), at: t0)
        #expect(first.count == 1)
        guard case .snapshot(let snap) = first[0].event else {
            Issue.record("first poll is not a snapshot")
            return
        }
        #expect(snap.leader == "pg2")
        #expect(snap.engine?.name == "patroni")
        let mid = try PatroniParse.cluster(fixture("cluster-mid-switchover.json"))
        let out = differ.diff(
            mapper.cluster(PatroniObservation(view: mid, causeHint: "switchover to pg1 requested from clusterdash")), at: t0.adding(millis: 1000))
        let types = out.map(\.event.type)
        #expect(types.contains("node.role_changed"))
        #expect(types.contains("failover.demoted"))
        #expect(types.contains("failover.authority_transferred"))
        #expect(types.contains("engine.status"))
        #expect(types.contains("replication.lag_bytes"))
        let roleChanges = out.compactMap { e -> RoleChanged? in
            if case .roleChanged(let d) = e.event { return d }
            return nil
        }
        #expect(roleChanges.allSatisfy { $0.reason == "switchover to pg1 requested from clusterdash" })
        #expect(Set(roleChanges.map(\.node)) == ["pg1", "pg2"])
        let all = first + out
        #expect(Set(all.map(\.id)).count == all.count)
        let seqs = out.map(\.seq)
        #expect(seqs == Array(1...Int64(out.count)))

        // The state the dashboard builds agrees with Patroni.
        var state = ClusterState()
        for e in all { state.apply(e) }
        #expect(state.primaries == ["pg1"])
        #expect(state.engine?.paused == true)
        #expect(state.followers["pg3"]?.lagBytes == 26_626_856)
        #expect(state.followers["pg2"]?.lagState == .unknown)
        #expect(state.log.contains { $0.facts == .paused(true) })
    }

    @Test("a leader that vanished is a failover with the leader lost")
    func failoverCause() throws {
        var differ = PollDiffer(source: "patroni/dash", idPrefix: "t-")
        let t = Timestamp(millis: 5_000)
        let a = PolledCluster(
            name: "dash", term: 1, nodes: [NodeInfo(id: "pg1", role: .primary, term: 1), NodeInfo(id: "pg2", role: .replica, term: 1)])
        let b = PolledCluster(name: "dash", term: 2, nodes: [NodeInfo(id: "pg2", role: .primary, term: 2)])
        _ = differ.diff(a, at: t)
        let out = differ.diff(b, at: t.adding(millis: 1000))
        let reasons = out.compactMap { e -> String? in
            if case .roleChanged(let d) = e.event { return d.reason }
            return nil
        }
        #expect(reasons == ["failover: leader lost"])
        #expect(out.map(\.event.type).contains("node.left"))
        #expect(out.map(\.event.type).contains("election.leader_elected"))
    }

    @Test("a leader whose key expired before anyone took over: the next leader's cause is still the lost leader")
    func leaderlessGap() {
        var differ = PollDiffer(source: "patroni/dash", idPrefix: "t-")
        let t = Timestamp(millis: 5_000)
        let pg1 = NodeInfo(id: "pg1", role: .primary, term: 1)
        let pg2 = NodeInfo(id: "pg2", role: .replica, term: 1)
        _ = differ.diff(PolledCluster(name: "dash", term: 1, nodes: [pg1, pg2]), at: t)
        _ = differ.diff(PolledCluster(name: "dash", term: 1, nodes: [pg2]), at: t.adding(millis: 1000))
        var promoted = pg2
        promoted.role = .primary
        let out = differ.diff(PolledCluster(name: "dash", term: 2, nodes: [promoted]), at: t.adding(millis: 2000))
        let reasons = out.compactMap { e -> String? in
            if case .roleChanged(let d) = e.event { return d.reason }
            return nil
        }
        #expect(reasons == ["failover: leader lost (pg1)"])
    }

    @Test("/history rows, /config, and what is not Patroni's JSON")
    func otherAnswers() throws {
        let h = try PatroniParse.history(fixture("history.json"))
        #expect(h.entries.map(\.term) == [1, 2])
        #expect(h.entries[1].leader == "pg3")
        #expect(h.entries[0].at != nil)
        let c = try PatroniParse.config(Array(#"{"ttl":10,"loop_wait":2,"maximum_lag_on_failover":1048576}"#.utf8))
        #expect(c.maximumLagOnFailover == 1_048_576)
        #expect(throws: PatroniParseError.self) { try PatroniParse.cluster(Array("<html><body>502 Bad Gateway</body></html>".utf8)) }
        #expect(throws: PatroniParseError.self) { try PatroniParse.cluster(Array(#"{"members":[{"role":"leader"}]}"#.utf8)) }
        #expect(throws: PatroniParseError.self) { try PatroniParse.cluster(Array(#"[1,2]"#.utf8)) }
        #expect(throws: PatroniParseError.self) { try PatroniParse.history(Array("garbage".utf8)) }
    }

    @Test("etcd watch lines: created, a DELETE, a PUT without a type, split anywhere")
    func watchLines() throws {
        let bytes = try fixture("watch.txt")
        var buffer = WatchLineBuffer()
        var lines: [[UInt8]] = []
        // Chunk boundaries are arbitrary: feed 7 bytes at a time.
        var i = 0
        while i < bytes.count {
            lines += buffer.append(bytes[i..<min(bytes.count, i + 7)])
            i += 7
        }
        #expect(lines.count == 3)
        #expect(try EtcdWatchParse.message(lines[0]) == .created)
        #expect(try EtcdWatchParse.message(lines[1]) == .events([EtcdKeyEvent(kind: .delete, key: "/service/dash/leader", value: "")]))
        #expect(try EtcdWatchParse.message(lines[2]) == .events([EtcdKeyEvent(kind: .put, key: "/service/dash/leader", value: "pg1")]))
        #expect(EtcdWatchParse.request(prefix: "/service/dash/").contains("\"range_end\":\"L3NlcnZpY2UvZGFzaDA=\""))
        var small = WatchLineBuffer(maxLine: 8)
        #expect(small.append(Array("0123456789abc\nok\n".utf8)) == [Array("ok".utf8)])
        #expect(small.oversized == 1)
    }

    @Test("promotion call: switchover from a healthy leader, failover without one, refusals")
    func promotionCall() {
        let healthy = PolledCluster(
            name: "dash", term: 1, nodes: [NodeInfo(id: "pg1", role: .primary, term: 1), NodeInfo(id: "pg2", role: .replica, term: 1)])
        #expect(PatroniSource.call(promoting: "pg2", in: healthy) == .switchover(leader: "pg1"))
        #expect(PatroniSource.call(promoting: "pg1", in: healthy) == .refused("pg1 is already the leader"))
        #expect(PatroniSource.call(promoting: "pgX", in: healthy) == .refused("pgX is not a member"))
        let leaderless = PolledCluster(
            name: "dash", term: 1,
            nodes: [NodeInfo(id: "pg1", role: .primary, health: .unhealthy, term: 1), NodeInfo(id: "pg2", role: .replica, term: 1)])
        #expect(PatroniSource.call(promoting: "pg2", in: leaderless) == .failover)
        #expect(PatroniSource.call(promoting: "pg2", in: nil) == .refused("nothing is known of the cluster yet"))
    }

    @Test("byte sizes: parsed and shown without a false 0")
    func bytes() {
        #expect(parseByteSize("16MiB") == 16 << 20)
        #expect(parseByteSize("1048576") == 1_048_576)
        #expect(parseByteSize("2 KiB") == nil || parseByteSize("2 KiB") == 2048)
        #expect(parseByteSize("lots") == nil)
        #expect(formatBytes(216) == "216 B")
        #expect(formatBytes(26_626_856) == "25.4 MiB")
        #expect(formatBytes(1) == "1 B")
    }
}
