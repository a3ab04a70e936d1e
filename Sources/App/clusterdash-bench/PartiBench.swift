import ClusterProtocol
import ClusterState
import EventSources
import Foundation
import NATSClient
import PartiSource

#if canImport(Glibc)
    import Glibc
#endif

/// `clusterdash-bench parti`: measured on the cluster of `scripts/nats-up`
/// (docs/PERFORMANCE.md, "Parti"). Not part of the default phases.
///
/// Parti's layout is written as Parti writes it (three workers beating
/// every second, a leader, 64 partitions), then:
/// - A new assignment version to screen: each worker's key written with the
///   next version, as the leader publishes one; from the last key's
///   acknowledgement to the first frame (33 ms) whose state shows it. The
///   source reads every second and settles a table over two equal reads.
/// - Cost on the servers: their CPU over a window with no source, and with
///   one source (every key of the four buckets once a second).
enum PartiBench {
    static let frameMillis: UInt64 = 33

    /// `clusterdash-bench parti [--url nats://…] [--dir DIR] [--versions N] [--seconds S]`,
    /// defaults for the cluster of scripts/nats-up.
    static func main(_ args: [String]) async throws {
        func value(_ flag: String, _ fallback: String) -> String { ServerCost.value(args, flag, fallback) }
        let env = ProcessInfo.processInfo.environment
        let url = value("--url", env["CLUSTERDASH_NATS"]?.split(separator: ",").first.map { "nats://\($0)" } ?? "nats://127.0.0.1:14231")
        let dir = value("--dir", env["CLUSTERDASH_NATS_DIR"] ?? "/tmp/clusterdash-nats")
        let versions = Int(value("--versions", "20")) ?? 20
        let seconds = Double(value("--seconds", "30")) ?? 30
        let logger = benchLogger()
        let address = try NATSAddress(url: url)
        let prefix = "bench"
        let workers = ["w1", "w2", "w3"]

        let c = try await NATSConnection.connect(address, logger: logger)
        let js = JetStream(c)
        for (bucket, ttl) in [("stableid", 30), ("election", 10), ("heartbeat", 6), ("assignment", 0)] {
            let name = "KV_\(prefix)-\(bucket)"
            _ = try? await js.call("STREAM.DELETE.\(name)")
            _ = try await js.ensureStream([
                "name": name, "subjects": ["$KV.\(prefix)-\(bucket).>"], "max_msgs_per_subject": 1, "discard": "new",
                "allow_rollup_hdrs": true, "deny_delete": true, "max_age": ttl * 1_000_000_000, "num_replicas": 1, "storage": "file",
            ])
        }
        func put(_ bucket: String, _ key: String, _ value: String) async throws {
            _ = try await js.publish("$KV.\(prefix)-\(bucket).\(key)", payload: Array(value.utf8))
        }
        func publish(version: Int) async throws {
            for (i, w) in workers.enumerated() {
                let partitions = (0..<64).filter { $0 % workers.count == (i + version) % workers.count }
                    .map { #"{"keys":["p\#($0)"],"weight":100}"# }.joined(separator: ",")
                try await put("assignment", "assignment.\(w)", #"{"version":\#(version),"lifecycle":"planned_scale","partitions":[\#(partitions)]}"#)
            }
        }
        let beater = Task {
            while !Task.isCancelled {
                let now = wallClockNow().rfc3339
                for w in workers {
                    try? await put("heartbeat", "heartbeat.\(w)", now)
                    try? await put("stableid", w, now)
                }
                try? await put("election", "leader", "w1:\(Int(Date().timeIntervalSince1970))")
                try? await Task.sleep(for: .seconds(1))
            }
        }
        try await publish(version: 1)

        let source = PartiSource(config: PartiSourceConfig(servers: [address], bucketPrefix: prefix), clock: wallClockNow, logger: logger)
        source.start()
        let shown = Locked<[Int64: Int64]>([:])  // version -> first frame that showed it
        let framer = Task {
            var state = ClusterState()
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(frameMillis))
                for r in source.queue.take().items { state.apply(r.envelope) }
                guard let v = state.assignment?.version else { continue }
                let now = wallClockNow().millis
                shown.withLock { s in if s[v] == nil { s[v] = now } }
            }
        }
        var delays: [Double] = []
        try await Task.sleep(for: .seconds(3))
        for version in 2...(versions + 1) {
            try await Task.sleep(for: .milliseconds(Int.random(in: 1_500...2_500)))
            try await publish(version: version)
            let written = wallClockNow().millis
            let deadline = Date().addingTimeInterval(10)
            var at: Int64?
            while Date() < deadline, at == nil {
                try await Task.sleep(for: .milliseconds(5))
                at = shown.withLock { $0[Int64(version)] }
            }
            guard let at else { throw SpawnFailure(description: "version \(version): not on screen in 10 s") }
            delays.append(Double(at - written))
        }
        framer.cancel()
        await source.stop()

        // Cost on the servers.
        let (idle, one) = try await ServerCost.measure(ServerCost.pids(dir, prefix: "n"), seconds: seconds) {
            let polling = PartiSource(config: PartiSourceConfig(servers: [address], bucketPrefix: prefix), clock: wallClockNow, logger: logger)
            return (polling, { polling.requests })
        }
        beater.cancel()
        for bucket in ["stableid", "election", "heartbeat", "assignment"] { _ = try? await js.call("STREAM.DELETE.KV_\(prefix)-\(bucket)") }
        c.close()

        let s = delays.sorted()
        let line =
            s.isEmpty
            ? "none" : "median \(Int(s[s.count / 2])) ms, min \(Int(s[0])) ms, max \(Int(s[s.count - 1])) ms (\(s.count) versions)"
        print("a new assignment version (3 workers' keys written) to the first frame showing it (33 ms frames, reads every 1 s, settled over two)")
        print("  \(line)")
        print("the 3 servers' CPU (% of one core, \(Int(seconds)) s each; the beats of 3 workers run throughout)")
        print("  no source:                          \(String(format: "%5.2f", idle.cpu)) %")
        print("  one source (4 buckets every 1 s):   \(String(format: "%5.2f", one.cpu)) %  (\(String(format: "%.1f", one.requests)) requests/s)")
    }
}
