import ClusterProtocol
import ClusterState
import ClusterdashTesting
import Dashboard
import EventSources
import Foundation
import Logging
import Testing

@testable import PatroniSource

/// The real cluster of `scripts/patroni-up` (started by `.ci/run`, which sets
/// these variables); without them the suite is skipped, and says so.
enum LiveCluster {
    static let env = ProcessInfo.processInfo.environment
    static var rest: String? { env["CLUSTERDASH_PATRONI_URL"] }
    static var etcd: String? { env["CLUSTERDASH_ETCD_URL"] }
    static var dir: String { env["CLUSTERDASH_PATRONI_DIR"] ?? "/tmp/clusterdash-patroni" }
    static var enabled: Bool { rest != nil }

    /// `/cluster` as Patroni answers it now.
    static func cluster() async throws -> PatroniClusterView {
        let body = try await run("/usr/bin/curl", ["-fsS", "--max-time", "2", (rest ?? "") + "/cluster"])
        return try PatroniParse.cluster(Array(body.utf8))
    }

    static func run(_ path: String, _ args: [String]) async throws -> String {
        try await ChildProcess.output([path] + args).text
    }

    static func spawnAndWait(_ argv: [String]) async -> Int32 { await ChildProcess.spawnAndWait(argv) }

    static func spawn(_ argv: [String]) -> pid_t? { ChildProcess.spawn(argv) }

    static func pid(_ file: String) -> Int32? { ChildProcess.pid(file) }
}

extension StateWatcher where S == PatroniSource {
    convenience init(etcd: Bool) {
        let config = PatroniSourceConfig(urls: [LiveCluster.rest ?? ""], etcd: etcd ? [LiveCluster.etcd ?? ""].filter { !$0.isEmpty } : [])
        self.init(source: PatroniSource(config: config, clock: wallClockNow, logger: quietLogger()))
    }
}

// Needs a real cluster: scripts/patroni-up (.ci/run starts it) and CLUSTERDASH_PATRONI_URL.
@Suite(.serialized, .enabled(if: LiveCluster.enabled, "needs scripts/patroni-up")) struct PatroniLiveTests {
    /// The dashboard's view equals `/cluster`: members, leader, roles, timeline.
    func agreesWithPatroni(_ s: ClusterState, _ view: PatroniClusterView) -> Bool {
        let leader = view.members.first { $0.isLeader }?.name
        guard s.primaries == [leader].compactMap({ $0 }) else { return false }
        let present = Set(s.nodes.values.filter(\.isPresent).map(\.id))
        guard present == Set(view.members.map(\.name)) else { return false }
        for m in view.members {
            guard let n = s.nodes[m.name], n.info.engine?.state == m.state else { return false }
            if let tl = m.timeline, n.info.term != tl { return false }
        }
        return true
    }

    func waitHealthy(_ seconds: Double) async throws -> PatroniClusterView {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let v = try? await LiveCluster.cluster(), v.members.count == 3, v.members.contains(where: \.isLeader),
                v.members.allSatisfy({ $0.state == "running" || $0.state == "streaming" }),
                v.members.filter(\.isReplica).allSatisfy({ $0.lag == .bytes(0) || $0.lag != .unknown })
            {
                return v
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        return try await LiveCluster.cluster()
    }

    @Test("steady state: the connector's view is /cluster's, byte lag included, by etcd watch")
    func steadyState() async throws {
        let view = try await waitHealthy(60)
        let w = StateWatcher(etcd: true)
        let agreed = await w.until(10) { agreesWithPatroni($0, view) && $0.engine?.feed == "etcd watch" }
        let s = w.state
        await w.stop()
        #expect(agreed, "state \(s.primaries) / \(s.nodes.keys.sorted()) vs /cluster \(view.members.map { "\($0.name)=\($0.role)" })")
        #expect(s.engine?.name == "patroni")
        #expect(s.engine?.feed == "etcd watch")
        #expect(s.engine?.maximumLagOnFailover == 1_048_576)
        for m in view.members where m.isReplica {
            #expect(s.followers[m.name]?.unit == .counted)
            #expect(s.followers[m.name]?.lagState != nil)
        }
    }

    @Test("switchover from the connector: Patroni's answer is the result, and the screen and /cluster then agree")
    func switchover() async throws {
        let before = try await waitHealthy(60)
        let w = StateWatcher(etcd: true)
        defer { Task { await w.stop() } }
        #expect(await w.until(10) { agreesWithPatroni($0, before) })
        let candidate = try #require(before.members.first { $0.isReplica }?.name)
        #expect(w.source.send(.promote(requestID: "live-1", node: candidate)))
        #expect(await w.until(30) { s in s.commandResults["live-1"] != nil })
        let result = w.state.commandResults["live-1"]
        #expect(result?.status == .completed, "Patroni said: \(result?.reason ?? "nothing")")
        #expect(result?.reason?.contains("Successfully switched over") == true)
        #expect(await w.until(20) { $0.primaries == [candidate] })
        let log = w.state.log.map(\.text)
        #expect(log.contains { $0.contains("\(candidate) replica -> primary") && $0.contains("requested from clusterdash") }, "\(log.suffix(12))")
        let after = try await waitHealthy(60)
        #expect(after.members.first { $0.isLeader }?.name == candidate)
        #expect(await w.until(10) { agreesWithPatroni($0, after) })
        await w.stop()
    }

    @Test("a refused switchover shows Patroni's own text")
    func refused() async throws {
        _ = try await waitHealthy(60)
        let w = StateWatcher(etcd: false)
        #expect(await w.until(10) { !$0.primaries.isEmpty })
        let leader = try #require(w.state.primaries.first)
        #expect(w.source.send(.promote(requestID: "live-2", node: leader)))
        #expect(await w.until(5) { $0.commandResults["live-2"] != nil })
        #expect(w.state.commandResults["live-2"]?.status == .rejected)
        #expect(w.state.commandResults["live-2"]?.reason == "\(leader) is already the leader")
        #expect(w.source.send(.migrate(requestID: "live-3", tenant: "t", target: "x", dryRun: false)))
        #expect(await w.until(5) { $0.commandResults["live-3"]?.status == .rejected })
        #expect(w.state.engine?.feed == "polling", "without --etcd the feed says polling")
        await w.stop()
    }

    @Test("a replica whose WAL receiver is stopped falls behind in bytes, on screen")
    func walReceiverStopped() async throws {
        let view = try await waitHealthy(60)
        let leader = try #require(view.members.first { $0.isLeader })
        let replica = try #require(view.members.first { $0.isReplica })
        let pidFile = "\(LiveCluster.dir)/data/\(replica.name)/postmaster.pid"
        let postmaster = LiveCluster.pid(pidFile) ?? 0
        try #require(postmaster > 0)
        let receiver = try await LiveCluster.run("/usr/bin/pgrep", ["-P", "\(postmaster)", "-f", "walreceiver"])
            .split(whereSeparator: \.isNewline).first.flatMap { Int32($0) }
        let pid = try #require(receiver, "no walreceiver under \(replica.name)'s postmaster \(postmaster)")
        let w = StateWatcher(etcd: true)
        #expect(await w.until(10) { $0.followers[replica.name]?.lagState == .measured })
        kill(pid, SIGSTOP)
        defer { kill(pid, SIGCONT) }
        _ = try await LiveCluster.run(
            "/usr/bin/psql",
            [
                "-h", "127.0.0.1", "-p", "\(leader.port ?? 0)", "-U", "postgres", "-d", "postgres", "-q", "-c",
                "create table if not exists lagtest(x text); insert into lagtest select repeat('x', 1000) from generate_series(1, 8000);",
            ])
        let grew = await w.until(20) { ($0.followers[replica.name]?.lagBytes ?? 0) > 4 << 20 }
        let lag = w.state.followers[replica.name]?.lagBytes
        kill(pid, SIGCONT)
        #expect(grew, "lag of \(replica.name): \(lag.map(formatBytes) ?? "none")")
        #expect(await w.until(30) { $0.followers[replica.name]?.lagBytes == 0 })
        await w.stop()
    }

    /// With ttl 10 s, the new leader and the killed member's pg_rewind rejoin
    /// take 11-15 s here.
    @Test("SIGKILL of the leader: the new leader is shown, with the cause")
    func leaderKilled() async throws {
        let view = try await waitHealthy(60)
        let leader = try #require(view.members.first { $0.isLeader }?.name)
        let number = String(leader.dropFirst(2))
        let w = StateWatcher(etcd: true)
        #expect(await w.until(10) { $0.primaries == [leader] })
        let patroni = LiveCluster.pid("\(LiveCluster.dir)/patroni-\(leader).pid") ?? 0
        try #require(patroni > 0)
        let postmaster = LiveCluster.pid("\(LiveCluster.dir)/data/\(leader)/postmaster.pid") ?? 0
        try #require(postmaster > 0)
        kill(patroni, SIGKILL)
        kill(postmaster, SIGKILL)
        let suspect = await w.until(8) { ($0.nodes[leader]?.info.health ?? .healthy) != .healthy }
        #expect(suspect, "the dead leader's API stopped answering: it is suspect first")
        let moved = await w.until(45) { s in s.primaries.count == 1 && s.primaries != [leader] }
        #expect(moved)
        let log = w.state.log.map(\.text)
        #expect(log.contains { $0.contains("failover: leader lost") }, "\(log.suffix(12))")
        await w.stop()
        // The member comes back as a replica (pg_rewind), for the tests after.
        // Not through Foundation's Process: its waitUntilExit waited for the
        // member the script leaves running (it hung here), so spawn and wait
        // for the script alone.
        #expect(await LiveCluster.spawnAndWait(["/bin/bash", "scripts/patroni-up", "--restart-member", number]) == 0)
        _ = try await waitHealthy(90)
    }
}
