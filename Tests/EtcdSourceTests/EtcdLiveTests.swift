import ClusterProtocol
import ClusterState
import ClusterdashTesting
import Dashboard
import EngineKit
import EventSources
import Foundation
import Logging
import Testing

@testable import EtcdSource

/// The real cluster of `scripts/etcd-up` (started by `.ci/run`, which sets
/// these variables); without them the suite is skipped, and says so.
enum LiveEtcd {
    static let env = ProcessInfo.processInfo.environment
    static var urls: [String] { (env["CLUSTERDASH_ETCD_CLUSTER"] ?? "").split(separator: ",").map(String.init) }
    static var dir: String { env["CLUSTERDASH_ETCD_DIR"] ?? "/tmp/clusterdash-etcd" }
    static var enabled: Bool { !urls.isEmpty }
    static var endpoints: String { urls.map { $0.replacingOccurrences(of: "http://", with: "") }.joined(separator: ",") }

    /// etcdctl's answer (ETCDCTL_API=3), stdout and stderr.
    static func etcdctl(_ args: [String]) async throws -> String {
        try await ChildProcess.output(["/usr/bin/env", "ETCDCTL_API=3", "etcdctl", "--endpoints=\(endpoints)", "--command-timeout=2s"] + args).text
    }

    /// `endpoint status -w simple`, one row per member that answers: name
    /// (from the member list), whether it leads, its raft term.
    static func endpointStatus() async throws -> [(name: String, leader: Bool, term: Int64)] {
        let names = Dictionary(
            try await memberList().map { ($0.clientURL.replacingOccurrences(of: "http://", with: ""), $0.name) }, uniquingKeysWith: { a, _ in a })
        return try await etcdctl(["endpoint", "status", "-w", "simple"]).split(separator: "\n").compactMap { line in
            let f = line.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            guard f.count >= 8, let term = Int64(f[6]) else { return nil }
            return (names[f[0]] ?? f[0], f[4] == "true", term)
        }
    }

    /// `member list -w simple`: hex ID, status, name, peer URL, client URL, learner.
    static func memberList() async throws -> [(id: String, started: Bool, name: String, clientURL: String, learner: Bool)] {
        try await etcdctl(["member", "list", "-w", "simple"]).split(separator: "\n").compactMap { line in
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard f.count >= 6 else { return nil }
            return (f[0], f[1] == "started", f[2], f[4], f[5] == "true")
        }
    }

    static func pid(_ name: String) -> Int32? { ChildProcess.pid("\(dir)/\(name).pid") }

    /// Waits until every voting member answers and one leads.
    static func waitHealthy(_ seconds: Double) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let rows = try? await endpointStatus(), rows.count >= 3, rows.filter(\.leader).count == 1 { return true }
            try? await Task.sleep(for: .milliseconds(200))
        }
        return false
    }
}

extension StateWatcher where S == EtcdSource {
    convenience init(etcdURLs: [String]) {
        self.init(source: EtcdSource(config: EtcdSourceConfig(urls: etcdURLs), clock: wallClockNow, logger: quietLogger()))
    }
}

// Needs a real cluster: scripts/etcd-up (.ci/run starts it) and CLUSTERDASH_ETCD_CLUSTER.
@Suite(.serialized, .enabled(if: LiveEtcd.enabled, "needs scripts/etcd-up")) struct EtcdLiveTests {
    /// The dashboard's view equals etcdctl's: members, leader, term.
    @Test func theViewEqualsEtcdctlsEndpointStatusAndMemberList() async throws {
        #expect(await LiveEtcd.waitHealthy(20))
        // One member given: the others are found from the member list.
        let w = StateWatcher(etcdURLs: [LiveEtcd.urls[0]])
        defer { Task { await w.stop() } }
        var rows = try await LiveEtcd.endpointStatus()
        let agrees = await w.until(5) { s in
            guard let r = try? await LiveEtcd.endpointStatus() else { return false }
            rows = r
            let leader = r.first(where: \.leader)?.name
            return s.primaries == [leader].compactMap { $0 } && Set(s.nodes.keys) == Set(r.map(\.name))
                && s.term == (r.map(\.term).max() ?? -1)
        }
        let s = w.state
        #expect(agrees, "etcdctl \(rows); clusterdash \(s.primaries) term \(s.term) nodes \(s.nodes.keys.sorted())")
        let members = try await LiveEtcd.memberList()
        for m in members {
            let node = try #require(s.nodes[m.name])
            #expect(node.info.engine?.tag("id") == m.id, "etcdctl's hex ID")
            #expect(node.info.address == m.clientURL.replacingOccurrences(of: "http://", with: ""))
            #expect(node.info.health == .healthy)
        }
        #expect(s.engine?.lagUnit == "raft entries")
        #expect(s.followers.values.allSatisfy { $0.lagState == .measured })
        #expect(s.quorum.members == 3 && s.quorum.present)
    }

    /// `p` on a follower: the preview accepts, the leader hands over, and
    /// the new leader is on screen within a poll (500 ms) of etcd's answer.
    @Test func aLeaderMovedByPromoteIsOnScreenWithinAPoll() async throws {
        #expect(await LiveEtcd.waitHealthy(20))
        let w = StateWatcher(etcdURLs: LiveEtcd.urls)
        defer { Task { await w.stop() } }
        #expect(await w.until(5) { $0.primaries.count == 1 && $0.followers.count == 2 })
        let old = try #require(w.state.primaries.first)
        let target = try #require(w.state.followers.keys.sorted().first)
        let verdict = EtcdRules().preview(candidate: target, in: w.state, limits: PreviewLimits(now: wallClockNow()))
        #expect(verdict.rejection == nil, "\(verdict.checks)")
        #expect(w.source.send(.promote(requestID: "etcd-move", node: target)))
        #expect(await w.until(5) { s in s.primaries == [target] })
        let answered = await w.until(5) { _ in w.results.contains { $0.requestID == "etcd-move" } }
        #expect(answered)
        let result = try #require(w.results.first { $0.requestID == "etcd-move" })
        #expect(result.status == .completed, "\(result.reason ?? "")")
        let rows = try await LiveEtcd.endpointStatus()
        #expect(rows.first(where: \.leader)?.name == target)
        let log = w.state.log.map(\.text)
        #expect(log.contains { $0.contains("switchover") && $0.contains(target) }, "\(log.suffix(10))")
        #expect(w.state.nodes[old]?.info.role == .replica)
    }

    /// SIGKILL of the leader: the survivors elect another in 1.3-2.4 s;
    /// it is on screen within a poll after, the dead member's lag unknown
    /// (never 0), its state saying since when and that the leader lost it.
    @Test func aLeaderKilledBySIGKILLIsReplacedOnScreen() async throws {
        #expect(await LiveEtcd.waitHealthy(20))
        let w = StateWatcher(etcdURLs: LiveEtcd.urls)
        defer { Task { await w.stop() } }
        #expect(await w.until(5) { $0.primaries.count == 1 && $0.followers.count == 2 })
        let leader = try #require(w.state.primaries.first)
        let pid = try #require(LiveEtcd.pid(leader))
        let killedAt = Date()
        kill(pid, SIGKILL)
        let replaced = await w.until(8) { s in s.primaries.count == 1 && s.primaries != [leader] }
        let took = Date().timeIntervalSince(killedAt)
        #expect(replaced, "no new leader on screen 8 s after the kill")
        #expect(took < 4, "new leader on screen \(took) s after the kill")
        let shown = await w.until(5) { s in
            let n = s.nodes[leader]
            return n?.info.health == .unhealthy && (n?.info.engine?.state ?? "").contains("the leader lost it too")
        }
        #expect(shown, "\(w.state.nodes[leader]?.info.engine?.state ?? "none")")
        #expect(w.state.followers[leader]?.lagState == .unknown)
        #expect(w.state.followers[leader]?.lagBytes == nil)
        let log = w.state.log.map(\.text)
        #expect(log.contains { $0.contains("failover: leader lost") }, "\(log.suffix(12))")
        let number = String(leader.dropFirst())
        #expect(await ChildProcess.spawnAndWait(["/bin/bash", "scripts/etcd-up", "--restart-member", number]) == 0)
        #expect(await w.until(10) { $0.nodes[leader]?.info.health == .healthy })
        #expect(await LiveEtcd.waitHealthy(20))
    }

    /// A learner added (etcdctl), shown unstarted, started, then promoted
    /// from `p`: etcd's refusal while it catches up is the command's result;
    /// once in sync it is a voting member.
    @Test func aLearnerAddedIsShownAndPromoted() async throws {
        #expect(await LiveEtcd.waitHealthy(20))
        let w = StateWatcher(etcdURLs: LiveEtcd.urls)
        defer { Task { await w.stop() } }
        // etcd refuses a change of membership for a while after a member
        // (re)started ("unhealthy cluster"): asked again until it takes it.
        var added = ""
        for _ in 0..<40 {
            added = try await LiveEtcd.etcdctl(["member", "add", "e4", "--learner", "--peer-urls=http://127.0.0.1:22386"])
            if added.contains("added") { break }
            try await Task.sleep(for: .milliseconds(250))
        }
        #expect(added.contains("added"), "\(added)")
        // Removed again (member and server) however the test ends.
        func removeLearner() async {
            if let id = try? await LiveEtcd.memberList().first(where: { $0.name == "e4" || $0.clientURL.isEmpty })?.id {
                _ = try? await LiveEtcd.etcdctl(["member", "remove", id])
            }
            _ = await ChildProcess.spawnAndWait(["/bin/bash", "scripts/etcd-down", "4"])
        }
        do {
            try await startAndPromoteTheLearner(w)
        } catch {
            await removeLearner()
            throw error
        }
        await removeLearner()
    }

    /// The learner e4 (added) started, shown, and promoted from `p`.
    func startAndPromoteTheLearner(_ w: StateWatcher<EtcdSource>) async throws {
        let unstarted = await w.until(5) { s in
            s.nodes.values.contains { $0.isPresent && ($0.info.engine?.state ?? "").hasPrefix("unstarted") && $0.info.engine?.role == "learner" }
        }
        #expect(unstarted, "\(w.state.nodes.keys.sorted())")
        #expect(await ChildProcess.spawnAndWait(["/bin/bash", "scripts/etcd-up", "--learner", "4"]) == 0)
        #expect(await w.until(15) { $0.nodes["e4"]?.info.engine?.role == "learner" && $0.nodes["e4"]?.info.health == .healthy })
        var result: CommandResult?
        for attempt in 0..<20 {
            let id = "etcd-learner-\(attempt)"
            #expect(w.source.send(.promote(requestID: id, node: "e4")))
            _ = await w.until(5) { _ in w.results.contains { $0.requestID == id } }
            result = w.results.first { $0.requestID == id }
            if result?.status == .completed { break }
            // etcd's own refusal while the learner catches up.
            #expect(result?.reason?.contains("in sync") == true, "\(result?.reason ?? "no answer")")
            try await Task.sleep(for: .milliseconds(250))
        }
        #expect(result?.status == .completed, "\(result?.reason ?? "no answer")")
        #expect(await w.until(5) { $0.nodes["e4"]?.info.engine?.role == "follower" })
        let log = w.state.log.map(\.text)
        #expect(log.contains { $0.contains("e4") && $0.contains("voting") }, "the promotion is in the log: \(log.suffix(8))")
        #expect(try await LiveEtcd.memberList().first { $0.name == "e4" }?.learner == false)
        #expect(await w.until(5) { $0.quorum.members == 4 })
    }
}
