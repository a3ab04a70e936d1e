import ClusterProtocol
import ClusterState
import ClusterdashTesting
import Dashboard
import EngineKit
import EventSources
import Foundation
import NATSClient
import Testing

@testable import JetStreamSource

/// The real cluster of `scripts/nats-up` with accounts
/// (CLUSTERDASH_NATS_ACCOUNTS=1: user sys of the system account, user app
/// of an account with JetStream), started by `.ci/run` beside the stream
/// transport's cluster; without CLUSTERDASH_JETSTREAM_CLUSTER the suite is
/// skipped, and says so.
enum LiveJetStream {
    static let env = ProcessInfo.processInfo.environment
    static var urls: [String] { (env["CLUSTERDASH_JETSTREAM_CLUSTER"] ?? "").split(separator: ",").map(String.init) }
    static var dir: String { env["CLUSTERDASH_JETSTREAM_DIR"] ?? "/tmp/clusterdash-jetstream" }
    static var enabled: Bool { !urls.isEmpty }
    static var addresses: [NATSAddress] { urls.compactMap { try? NATSAddress(url: $0) } }
    /// How far the cluster's ports are from nats-up's defaults (14231…).
    static var offset: Int { (addresses.first?.port ?? 14231) - 14231 }
    static let sys = NATSCredentials(user: "sys", password: "sys")
    static let app = NATSCredentials(user: "app", password: "app")

    static func pid(_ server: String) -> Int32? { ChildProcess.pid("\(dir)/\(server).pid") }

    /// `scripts/nats-up N` for this cluster: server N started again with its data.
    static func restart(_ server: String) async -> Int32 {
        await ChildProcess.spawnAndWait([
            "/usr/bin/env", "CLUSTERDASH_NATS_DIR=\(dir)", "CLUSTERDASH_NATS_PORT_OFFSET=\(offset)", "CLUSTERDASH_NATS_ACCOUNTS=1",
            "/bin/bash", "scripts/nats-up", String(server.dropFirst()),
        ])
    }

    /// A connection as the account with JetStream, to any server that takes it.
    static func appConnection() async throws -> NATSConnection {
        var last: (any Error)?
        for a in addresses {
            do { return try await NATSConnection.connect(a, credentials: app, logger: quietLogger()) } catch { last = error }
        }
        throw last ?? NATSError.closed("no server")
    }

    /// The stream's leader as nats-server's own `STREAM.INFO` says.
    static func streamLeader(_ c: NATSConnection, _ name: String) async -> String? {
        guard let info = try? await JetStream(c, timeout: .seconds(1)).call("STREAM.INFO.\(name)") else { return nil }
        return (info["cluster"] as? [String: Any])?["leader"] as? String
    }

    /// A server's monitoring answer (`/jsz`, `/healthz`), read with curl;
    /// nil unless it answered 200.
    static func monitoring(_ a: NATSAddress, _ path: String) async -> Data? {
        let url = "http://127.0.0.1:\(a.port - 14231 + 18221)\(path)"
        guard let answer = try? await ChildProcess.output(["/usr/bin/curl", "-fsS", "-m", "2", url], stderr: false), answer.status == 0 else {
            return nil
        }
        return Data(answer.text.utf8)
    }

    /// The meta leader, as a server's own `/jsz` on its monitoring port says.
    static func metaLeader() async -> String? {
        for a in addresses {
            guard let data = await monitoring(a, "/jsz"),
                let o = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                let leader = (o["meta_cluster"] as? [String: Any])?["leader"] as? String
            else { continue }
            return leader
        }
        return nil
    }

    /// Waits until every server answers and a meta leader exists.
    static func waitHealthy(_ seconds: Double) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            var all = true
            for a in addresses where await monitoring(a, "/healthz") == nil { all = false }
            if all, await metaLeader() != nil { return true }
            try? await Task.sleep(for: .milliseconds(200))
        }
        return false
    }
}

extension StateWatcher where S == JetStreamSource {
    convenience init(jetStream servers: [NATSAddress], credentials: NATSCredentials = LiveJetStream.sys) {
        self.init(
            source: JetStreamSource(
                config: JetStreamSourceConfig(servers: servers, credentials: credentials), clock: wallClockNow, logger: quietLogger()))
    }

    /// The stream's leader in the assignment table (by its name).
    func owner(_ stream: String) -> String?? {
        state.assignment?.partitions.first { $0.name == stream }.map(\.worker)
    }
}

// Needs a real cluster: scripts/nats-up with accounts (.ci/run starts it) and CLUSTERDASH_JETSTREAM_CLUSTER.
@Suite(.serialized, .enabled(if: LiveJetStream.enabled, "needs scripts/nats-up with CLUSTERDASH_NATS_ACCOUNTS=1")) struct JetStreamLiveTests {
    /// The view equals nats-server's own: servers by name, the meta leader
    /// as `/jsz` names it, each stream's leader as `STREAM.INFO` names it.
    @Test func theViewEqualsTheServersOwnJSZAndStreamInfo() async throws {
        #expect(await LiveJetStream.waitHealthy(20))
        let c = try await LiveJetStream.appConnection()
        defer { c.close() }
        let js = JetStream(c)
        _ = try await js.ensureStream(["name": "ORDERS", "subjects": ["orders.>"], "num_replicas": 3, "storage": "file"])
        _ = try await js.ensureStream(["name": "SCRATCH", "subjects": ["scratch.>"], "num_replicas": 1, "storage": "file"])
        for i in 0..<200 { c.publish("orders.\(i % 7)", payload: Array("order \(i)".utf8)) }
        try await c.flush()
        // One server given: the system account sees them all.
        let w = StateWatcher(jetStream: [LiveJetStream.addresses[0]])
        defer { Task { await w.stop() } }
        var leaders: [String: String] = [:]
        let agrees = await w.until(8) { s in
            let meta = await LiveJetStream.metaLeader()
            return Set(s.nodes.keys) == ["n1", "n2", "n3"] && s.nodes.values.allSatisfy { $0.info.health == .healthy }
                && s.primaries == [meta].compactMap { $0 }
        }
        for name in ["ORDERS", "SCRATCH"] { leaders[name] = await LiveJetStream.streamLeader(c, name) }
        let s = w.state
        let meta = await LiveJetStream.metaLeader()
        #expect(agrees, "clusterdash \(s.primaries) \(s.nodes.keys.sorted()); /jsz \(meta ?? "none")")
        #expect(leaders.count == 2)
        let owners = await w.until(5) { _ in leaders.allSatisfy { w.owner($0.key) == .some($0.value) } }
        #expect(owners, "STREAM.INFO \(leaders); clusterdash \(leaders.keys.map { "\($0): \(String(describing: w.owner($0)))" })")
        #expect(s.engine?.lagUnit == "raft entries")
        #expect(s.engine?.name == "nats")
        #expect(s.followers.values.allSatisfy { $0.lagState == .measured }, "\(s.followers)")
        #expect(s.quorum.members == 3 && s.quorum.present)
        for n in ["n1", "n2", "n3"] {
            let node = try #require(s.nodes[n])
            #expect(node.info.health == .healthy, "\(n): \(node.info.engine?.state ?? "")")
            #expect(node.info.engine?.tag("az:\(n.dropFirst())") == "true", "\(node.info.engine?.tags ?? [])")
            #expect(node.info.engine?.position?.contains("streams") == true)
        }
    }

    /// `p` on a follower: the preview accepts, the meta leader steps down,
    /// and the next meta leader is on screen; the log names the step-down.
    @Test func promoteStepsTheMetaLeaderDown() async throws {
        #expect(await LiveJetStream.waitHealthy(20))
        let w = StateWatcher(jetStream: LiveJetStream.addresses)
        defer { Task { await w.stop() } }
        #expect(await w.until(5) { $0.primaries.count == 1 && $0.followers.count == 2 })
        let old = try #require(w.state.primaries.first)
        let target = try #require(w.state.followers.keys.sorted().first)
        let verdict = JetStreamRules().preview(candidate: target, in: w.state, limits: PreviewLimits(now: wallClockNow()))
        #expect(verdict.rejection == nil, "\(verdict.checks)")
        #expect(w.source.send(.promote(requestID: "nats-stepdown", node: target)))
        let answered = await w.until(5) { _ in w.results.contains { $0.requestID == "nats-stepdown" } }
        #expect(answered)
        let result = try #require(w.results.first { $0.requestID == "nats-stepdown" })
        #expect(result.status == .completed, "\(result.reason ?? "")")
        // 2.9 elects whom it likes; 2.11 and later take the preferred server.
        #expect(await w.until(8) { s in s.primaries.count == 1 && s.primaries != [old] })
        let version = (w.state.nodes[old]?.info.engine?.tag("version") ?? "").split(separator: ".").compactMap { Int($0) }
        if version.count >= 2, version[0] > 2 || version[1] >= 11 {
            #expect(w.state.primaries == [target], "2.11 and later hand the meta leadership to the server named")
        }
        #expect(await w.until(5) { s in s.primaries == [await LiveJetStream.metaLeader()].compactMap { $0 } })
        let log = w.state.log.map(\.text)
        #expect(log.contains { $0.contains("switchover") && $0.contains(old) }, "\(log.suffix(10))")
        // The same command on the meta leader is refused before anything is sent.
        let leader = try #require(w.state.primaries.first)
        #expect(w.source.send(.promote(requestID: "nats-self", node: leader)))
        #expect(await w.until(5) { _ in w.results.contains { $0.requestID == "nats-self" } })
        #expect(w.results.first { $0.requestID == "nats-self" }?.status == .rejected)
    }

    /// A stream's leader stepping down is pushed (`LEADER_ELECTED`), and
    /// the new leader is on screen with the advisory, not a poll later.
    @Test func aStreamLeaderElectedIsPushedToTheScreen() async throws {
        #expect(await LiveJetStream.waitHealthy(20))
        let c = try await LiveJetStream.appConnection()
        defer { c.close() }
        let js = JetStream(c)
        _ = try await js.ensureStream(["name": "ELECT", "subjects": ["elect.>"], "num_replicas": 3, "storage": "file"])
        defer { Task { _ = try? await js.call("STREAM.DELETE.ELECT") } }
        let w = StateWatcher(jetStream: LiveJetStream.addresses)
        defer { Task { await w.stop() } }
        let before = await LiveJetStream.streamLeader(c, "ELECT")
        #expect(before != nil)
        #expect(await w.until(5) { _ in w.owner("ELECT") == .some(before) })
        let advisories = w.source.advisoriesSeen
        _ = try await js.call("STREAM.LEADER.STEPDOWN.ELECT")
        var after: String?
        for _ in 0..<50 {
            after = await LiveJetStream.streamLeader(c, "ELECT")
            if after != nil, after != before { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(after != nil && after != before, "still \(after ?? "none")")
        #expect(await w.until(3) { _ in w.owner("ELECT") == .some(after) }, "\(String(describing: w.owner("ELECT")))")
        #expect(w.source.advisoriesSeen > advisories, "no LEADER_ELECTED advisory reached the source")
        let log = w.state.log.map(\.text)
        #expect(log.contains { $0.contains("ELECT elected \(after ?? "?") its leader") }, "\(log.suffix(6))")
    }

    /// Without the system account's rights (the app user): said on the
    /// cluster, and the account's streams are still shown with their leaders.
    @Test func withoutTheSystemAccountItSaysSoAndShowsTheAccountsStreams() async throws {
        #expect(await LiveJetStream.waitHealthy(20))
        let c = try await LiveJetStream.appConnection()
        defer { c.close() }
        _ = try await JetStream(c).ensureStream(["name": "ACCOUNT", "subjects": ["account.>"], "num_replicas": 3, "storage": "file"])
        defer { Task { _ = try? await JetStream(c).call("STREAM.DELETE.ACCOUNT") } }
        let leader = await LiveJetStream.streamLeader(c, "ACCOUNT")
        let w = StateWatcher(jetStream: LiveJetStream.addresses, credentials: LiveJetStream.app)
        defer { Task { await w.stop() } }
        #expect(await w.until(5) { s in (s.engine?.state ?? "").contains("account view: no system-account rights") })
        #expect(await w.until(5) { _ in w.owner("ACCOUNT") == .some(leader) })
        #expect(w.state.primaries.isEmpty, "no meta leader is claimed without the system account")
    }

    /// SIGKILL of a follower server that alone holds an R1 stream: the
    /// server goes down on screen (its lag unknown, never 0, and the meta
    /// leader's loss of it said), the stream shown leaderless rather than
    /// gone; started again, both come back.
    @Test func aServerKilledBySIGKILLIsDownAndItsStreamOrphaned() async throws {
        #expect(await LiveJetStream.waitHealthy(20))
        let w = StateWatcher(jetStream: LiveJetStream.addresses)
        defer { Task { await w.stop() } }
        #expect(await w.until(5) { $0.primaries.count == 1 && $0.followers.count == 2 })
        let victim = try #require(w.state.followers.keys.sorted().first)
        let c = try await LiveJetStream.appConnection()
        defer { c.close() }
        _ = try await JetStream(c).ensureStream([
            "name": "SOLO", "subjects": ["solo.>"], "num_replicas": 1, "storage": "file", "placement": ["tags": ["az:\(victim.dropFirst())"]],
        ])
        #expect(await w.until(5) { _ in w.owner("SOLO") == .some(victim) }, "\(String(describing: w.owner("SOLO")))")
        let pid = try #require(LiveJetStream.pid(victim))
        kill(pid, SIGKILL)
        let down = await w.until(8) { s in
            let n = s.nodes[victim]
            return n?.info.health == .unhealthy && (n?.info.engine?.state ?? "").contains("the meta leader lost it too")
        }
        #expect(down, "\(w.state.nodes[victim]?.info.engine?.state ?? "none")")
        #expect(w.state.followers[victim]?.lagState == .unknown && w.state.followers[victim]?.lagBytes == nil)
        #expect(w.owner("SOLO") == .some(nil), "SOLO: \(String(describing: w.owner("SOLO")))")
        let problems = w.state.engine?.state ?? "none"
        #expect(problems.hasPrefix("no leader: ") && problems.contains("SOLO"), "\(problems)")
        #expect(await LiveJetStream.restart(victim) == 0)
        #expect(await w.until(15) { s in s.nodes[victim]?.info.health == .healthy && w.owner("SOLO") == .some(victim) })
        _ = try? await JetStream(c).call("STREAM.DELETE.SOLO")
        #expect(await LiveJetStream.waitHealthy(20))
        // Last in the suite: the restarted server's streams may still be
        // catching up when it ends.
    }
}
