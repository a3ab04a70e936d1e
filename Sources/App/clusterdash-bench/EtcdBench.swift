import ClusterProtocol
import EtcdSource
import EventSources
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// `clusterdash-bench etcd`: measured on the real cluster of
/// `scripts/etcd-up` (docs/PERFORMANCE.md, "etcd"). Not part of the default
/// phases: it moves the leadership over and over.
///
/// - Leader change to screen: a `transfer-leadership` the bench sends
///   itself (etcd hands over in about 100 ms) to the first frame whose
///   batch carries the new leader (frames on the dashboard's 33 ms grid),
///   sent at a random moment of the poll period.
/// - Cost on the members: their CPU over a window with no source, and with
///   one source polling every 500 ms (calls per second counted by the source).
enum EtcdBench {
    static let frameMillis: UInt64 = 33

    /// `clusterdash-bench etcd [--url URL] [--dir DIR] [--moves N] [--seconds S]`,
    /// defaults for the cluster of scripts/etcd-up.
    static func main(_ args: [String]) async throws {
        func value(_ flag: String, _ fallback: String) -> String { ServerCost.value(args, flag, fallback) }
        let env = ProcessInfo.processInfo.environment
        let url = value("--url", env["CLUSTERDASH_ETCD_CLUSTER"]?.split(separator: ",").first.map(String.init) ?? "http://127.0.0.1:22379")
        let dir = value("--dir", env["CLUSTERDASH_ETCD_DIR"] ?? "/tmp/clusterdash-etcd")
        let moves = Int(value("--moves", "20")) ?? 20
        let seconds = Double(value("--seconds", "30")) ?? 30
        let logger = benchLogger()

        // Leader change to screen.
        let source = EtcdSource(config: EtcdSourceConfig(urls: [url]), clock: wallClockNow, logger: logger)
        source.start()
        let seen = Locked<[String: Int64]>([:])  // new leader -> first frame that showed it
        let framer = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(frameMillis))
                let now = wallClockNow().millis
                for r in source.queue.take().items {
                    guard case .roleChanged(let d) = r.envelope.event, d.to == .primary else { continue }
                    seen.withLock { s in if s[d.node] == nil { s[d.node] = now } }
                }
            }
        }
        var millis: [Double] = []
        for i in 0..<moves {
            try await Task.sleep(for: .milliseconds(Int.random(in: 600...1_100)))
            let (leaderURL, target, targetID) = try leaderAndFollower(url)
            seen.withLock { $0 = [:] }
            let sent = wallClockNow().millis
            _ = try PatroniBench.run(
                "/usr/bin/curl",
                [
                    "curl", "-sS", "--max-time", "10", "-X", "POST", leaderURL + "/v3/maintenance/transfer-leadership", "-d",
                    "{\"targetID\":\"\(targetID)\"}",
                ])
            let deadline = Date().addingTimeInterval(10)
            while Date() < deadline, seen.withLock({ $0[target] }) == nil { try await Task.sleep(for: .milliseconds(10)) }
            guard let shown = seen.withLock({ $0[target] }) else { throw SpawnFailure(description: "move \(i): \(target) never shown leader") }
            millis.append(Double(shown - sent))
        }
        framer.cancel()
        await source.stop()

        // Cost on the members.
        let (idle, one) = try await ServerCost.measure(ServerCost.pids(dir, prefix: "e"), seconds: seconds) {
            let polling = EtcdSource(config: EtcdSourceConfig(urls: [url]), clock: wallClockNow, logger: logger)
            return (polling, { polling.requests })
        }

        let s = millis.sorted()
        print("transfer-leadership sent -> first frame showing the new leader (about 100 ms of etcd's handover, 500 ms polls, 33 ms frames)")
        if !s.isEmpty {
            print("  median \(Int(s[s.count / 2])) ms, min \(Int(s[0])) ms, max \(Int(s[s.count - 1])) ms (\(s.count) moves)")
        }
        print("the 3 members' CPU (% of one core, \(Int(seconds)) s each)")
        print("  no source:                         \(String(format: "%5.2f", idle.cpu)) %")
        print("  one source polling every 500 ms:   \(String(format: "%5.2f", one.cpu)) %  (\(String(format: "%.1f", one.requests)) calls/s)")
    }

    /// The leader's client URL and a follower (name, ID), as the members say.
    static func leaderAndFollower(_ url: String) throws -> (String, String, UInt64) {
        func post(_ base: String, _ path: String) throws -> [UInt8] {
            Array(try PatroniBench.run("/usr/bin/curl", ["curl", "-sS", "--max-time", "2", "-X", "POST", base + path, "-d", "{}"]).utf8)
        }
        let members = try EtcdParse.members(try post(url, "/v3/cluster/member/list"))
        let statuses = members.compactMap { m in m.clientURLs.first.flatMap { try? EtcdParse.status(try post($0, "/v3/maintenance/status")) } }
        guard let leaderID = statuses.compactMap(\.leader).first, let leader = members.first(where: { $0.id == leaderID }),
            let leaderURL = leader.clientURLs.first, let follower = members.first(where: { $0.id != leaderID && !$0.isLearner && $0.isStarted })
        else { throw SpawnFailure(description: "no leader and follower answer at \(url)") }
        return (leaderURL, follower.nodeID, follower.id)
    }
}
