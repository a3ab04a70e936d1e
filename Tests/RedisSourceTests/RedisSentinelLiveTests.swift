import ClusterProtocol
import ClusterState
import ClusterdashTesting
import EventSources
import Foundation
import Logging
import Testing

@testable import RedisSource

/// The real Sentinel setup of `scripts/redis-sentinel-up` (a master, a
/// replica, three sentinels watching `mymaster`; started by `.ci/run`, which
/// sets these variables); without them the suite is skipped, and says so.
enum LiveSentinel {
    static let env = ProcessInfo.processInfo.environment
    static var sentinels: [String] { (env["CLUSTERDASH_SENTINELS"] ?? "").split(separator: ",").map(String.init) }
    static let master = "mymaster"
    static var dir: String { (env["CLUSTERDASH_REDIS_DIR"] ?? "/tmp/clusterdash-redis") + "/sentinel" }
    static var enabled: Bool { !sentinels.isEmpty }

    static func source() -> RedisSentinelSource {
        var config = RedisSentinelConfig(sentinels: sentinels, master: master)
        config.pollInterval = .milliseconds(500)
        return RedisSentinelSource(config: config, clock: wallClockNow, logger: quietLogger())
    }

    /// What a sentinel says the master is: `SENTINEL GET-MASTER-ADDR-BY-NAME`.
    static func masterAddress(_ sentinel: String) async throws -> String? {
        let answer = try await LiveRedisCluster.ask(sentinel, ["SENTINEL", "GET-MASTER-ADDR-BY-NAME", master])
        guard let parts = answer.elements, parts.count == 2, let ip = parts[0].text, let port = parts[1].text else { return nil }
        return "\(ip):\(port)"
    }
}

// Needs the Sentinel setup: scripts/redis-sentinel-up (.ci/run starts it) and CLUSTERDASH_SENTINELS.
@Suite(.serialized, .enabled(if: LiveSentinel.enabled, "needs scripts/redis-sentinel-up")) struct RedisSentinelLiveTests {
    /// Every sentinel names the same master, the dashboard too, and its
    /// replica is healthy with its link up.
    func agreed<S>(_ w: StateWatcher<S>, _ seconds: Double) async -> String? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            var named: Set<String> = []
            for s in LiveSentinel.sentinels { named.insert((try? await LiveSentinel.masterAddress(s)).flatMap { $0 } ?? "?") }
            let st = w.state
            if named.count == 1, let m = named.first, st.primaries == [m], st.nodes[m]?.info.health == .healthy,
                st.nodes.values.contains(where: { $0.info.role == .replica && $0.info.health == .healthy })
            {
                return m
            }
            try? await Task.sleep(for: .milliseconds(200))
        }
        return nil
    }

    @Test("the dashboard names the master every sentinel names, its replica, the quorum and the sentinels that see it")
    func agreesWithTheSentinels() async throws {
        let w = StateWatcher(source: LiveSentinel.source())
        defer { Task { await w.stop() } }
        let master = try #require(await agreed(w, 60))
        let s = w.state
        #expect(s.nodes.count == 2)
        #expect(s.engine?.name == "redis-sentinel")
        #expect(s.engine?.quorum == 2)
        #expect(s.engine?.sentinels == 3)
        #expect(s.engine?.witnesses == 3)
        #expect(s.quorum.present)
        #expect(s.engine?.divergence == [])
        let replica = try #require(s.nodes.values.first { $0.info.role == .replica })
        #expect(replica.info.engine?.tag("replica_priority") == "100")
        #expect(s.followers[replica.id]?.lagState == .measured, "bytes behind from the master's offsets")
        #expect(master != replica.id)
        let allLive = w.source.statuses.allSatisfy { $0.isLive }
        #expect(allLive)
    }

    @Test("SENTINEL FAILOVER from the connector ends with the dashboard agreeing with GET-MASTER-ADDR-BY-NAME, the phases in the log")
    func failoverFromTheConnector() async throws {
        let w = StateWatcher(source: LiveSentinel.source())
        defer { Task { await w.stop() } }
        let before = try #require(await agreed(w, 60))
        let replica = try #require(w.state.nodes.values.first { $0.info.role == .replica }?.id)
        // Wait for the feed: the announcements must be heard too.
        #expect(await w.until(10) { $0.engine?.feed == "sentinel events" })
        #expect(w.source.send(.promote(requestID: "s-fo-1", node: replica)))
        let done = await w.until(40) { _ in w.results.contains { $0.requestID == "s-fo-1" && $0.status == .completed } }
        #expect(done, "\(w.results.map(\.reason))")
        let after = try #require(await agreed(w, 30))
        #expect(after != before)
        #expect(after == replica, "with one replica, Sentinel's choice is it")
        let kinds = w.state.log.compactMap { e -> String? in
            if case .engineNotice(let kind) = e.kind { return kind }
            return nil
        }
        #expect(kinds.contains("+switch-master"), "\(kinds)")
        #expect(kinds.contains("+try-failover"), "\(kinds)")
        #expect(!w.state.isSplitBrain)
    }

    @Test("SIGSTOP of the master: s_down, o_down, Sentinel's failover; the dashboard agrees with GET-MASTER-ADDR-BY-NAME")
    func stoppedMasterIsFailedOver() async throws {
        let w = StateWatcher(source: LiveSentinel.source())
        defer { Task { await w.stop() } }
        let old = try #require(await agreed(w, 60))
        let port = try #require(RedisClusterConfig.hostPort(old)?.port)
        let pid = try #require(ChildProcess.pid("\(LiveSentinel.dir)/redis-\(port).pid"))
        kill(pid, SIGSTOP)
        var resumed = false
        defer { if !resumed { kill(pid, SIGCONT) } }
        let moved = await w.until(40) { s in s.primaries.first.map { $0 != old } ?? false }
        #expect(moved, "the sentinels failed the master over")
        let healths = w.events.compactMap { e -> NodeHealth? in
            if case .healthChanged(let h) = e, h.node == old { return h.to }
            return nil
        }
        #expect(healths.contains(.suspect) || healths.contains(.unhealthy), "\(healths)")
        let kinds = w.state.log.compactMap { e -> String? in
            if case .engineNotice(let kind) = e.kind { return kind }
            return nil
        }
        #expect(kinds.contains("+odown") && kinds.contains("+switch-master"), "\(kinds)")
        let named = try #require(try await LiveSentinel.masterAddress(LiveSentinel.sentinels[0]))
        #expect(await w.until(10) { $0.primaries == [named] })
        kill(pid, SIGCONT)
        resumed = true
        // The old master comes back as a replica (+convert-to-slave).
        let back = await w.until(40) { s in s.nodes[old]?.info.role == .replica && s.nodes[old]?.info.health == .healthy }
        #expect(back, "\(old) back as a replica")
    }

    /// A quiet sentinel's event connection waits up to a minute for a
    /// message; stopping the source (quitting the dashboard, SIGTERM to the
    /// gateway) must not wait with it.
    @Test func stoppingDoesNotWaitForAQuietSentinel() async throws {
        let source = LiveSentinel.source()
        let w = StateWatcher(source: source)
        #expect(await w.until(20) { $0.engine?.feed == "sentinel events" })
        let started = ContinuousClock.now
        await w.stop()
        #expect(ContinuousClock.now - started < .seconds(10), "stopped in \(ContinuousClock.now - started)")
    }
}
