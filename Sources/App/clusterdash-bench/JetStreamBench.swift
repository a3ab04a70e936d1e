import ClusterProtocol
import ClusterState
import EventSources
import Foundation
import JetStreamSource
import NATSClient

#if canImport(Glibc)
    import Glibc
#endif

/// `clusterdash-bench jetstream`: measured on the cluster of `scripts/nats-up`
/// with accounts (docs/PERFORMANCE.md, "NATS JetStream as a cluster"). Not
/// part of the default phases: it steps a stream's leader down over and over.
///
/// - A stream's new leader to screen: the bench steps the stream BENCH (R3)
///   down itself; from the `LEADER_ELECTED` advisory (its own subscription)
///   and from the step-down's answer to the first frame (the dashboard's
///   33 ms grid) whose state shows the new leader owning BENCH.
/// - Cost on the servers: their CPU over a window with no source, and with
///   one source (JSZ and HEALTHZ of every server every 500 ms).
enum JetStreamBench {
    static let frameMillis: UInt64 = 33

    /// `clusterdash-bench jetstream [--url nats://…] [--dir DIR] [--stepdowns N] [--seconds S]`,
    /// defaults for the cluster of scripts/nats-up with CLUSTERDASH_NATS_ACCOUNTS=1 and offset 100.
    static func main(_ args: [String]) async throws {
        func value(_ flag: String, _ fallback: String) -> String { ServerCost.value(args, flag, fallback) }
        let env = ProcessInfo.processInfo.environment
        let url = value(
            "--url", env["CLUSTERDASH_JETSTREAM_CLUSTER"]?.split(separator: ",").first.map(String.init) ?? "nats://127.0.0.1:14331")
        let dir = value("--dir", env["CLUSTERDASH_JETSTREAM_DIR"] ?? "/tmp/clusterdash-jetstream")
        let stepdowns = Int(value("--stepdowns", "20")) ?? 20
        let seconds = Double(value("--seconds", "30")) ?? 30
        let logger = benchLogger()
        let address = try NATSAddress(url: url)
        let sys = NATSCredentials(user: "sys", password: "sys")

        let app = try await NATSConnection.connect(address, credentials: NATSCredentials(user: "app", password: "app"), logger: logger)
        let js = JetStream(app)
        _ = try await js.ensureStream(["name": "BENCH", "subjects": ["bench.>"], "num_replicas": 3, "storage": "file"])
        let advised = Locked<[String: Int64]>([:])  // leader elected -> when the advisory came
        let advisories = app.subscribe("$JS.EVENT.ADVISORY.STREAM.LEADER_ELECTED.BENCH")
        let listener = Task {
            for await m in advisories.messages {
                guard case .leaderElected(_, _, let leader)? = JetStreamParse.advisory(subject: m.subject, m.payload) else { continue }
                let now = wallClockNow().millis
                advised.withLock { a in if a[leader] == nil { a[leader] = now } }
            }
        }

        let source = JetStreamSource(config: JetStreamSourceConfig(servers: [address], credentials: sys), clock: wallClockNow, logger: logger)
        source.start()
        let shown = Locked<[String: Int64]>([:])  // BENCH's owner -> first frame that showed it
        let framer = Task {
            var state = ClusterState()
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(frameMillis))
                for r in source.queue.take().items { state.apply(r.envelope) }
                guard let owner = state.assignment?.partitions.first(where: { $0.name == "BENCH" })?.worker else { continue }
                let now = wallClockNow().millis
                shown.withLock { s in if s[owner] == nil { s[owner] = now } }
            }
        }
        var fromAnswer: [Double] = []
        var fromAdvisory: [Double] = []
        try await Task.sleep(for: .seconds(2))
        for i in 0..<stepdowns {
            try await Task.sleep(for: .milliseconds(Int.random(in: 600...1_100)))
            let info = try await js.call("STREAM.INFO.BENCH")
            guard let before = (info["cluster"] as? [String: Any])?["leader"] as? String else { continue }
            shown.withLock { $0 = [:] }
            advised.withLock { $0 = [:] }
            _ = try await js.call("STREAM.LEADER.STEPDOWN.BENCH")
            let answered = wallClockNow().millis
            let deadline = Date().addingTimeInterval(10)
            var next: (leader: String, advisory: Int64, frame: Int64)?
            while Date() < deadline, next == nil {
                try await Task.sleep(for: .milliseconds(5))
                let a = advised.withLock { $0 }
                let s = shown.withLock { $0 }
                for (leader, at) in a where leader != before { if let f = s[leader] { next = (leader, at, f) } }
            }
            guard let next else { throw SpawnFailure(description: "step-down \(i): no new leader of BENCH shown in 10 s") }
            fromAnswer.append(Double(next.frame - answered))
            fromAdvisory.append(Double(next.frame - next.advisory))
        }
        framer.cancel()
        listener.cancel()
        await source.stop()
        _ = try? await js.call("STREAM.DELETE.BENCH")
        app.close()

        // Cost on the servers.
        let (idle, one) = try await ServerCost.measure(ServerCost.pids(dir, prefix: "n"), seconds: seconds) {
            let polling = JetStreamSource(config: JetStreamSourceConfig(servers: [address], credentials: sys), clock: wallClockNow, logger: logger)
            return (polling, { polling.requests })
        }

        func line(_ values: [Double]) -> String {
            let s = values.sorted()
            guard !s.isEmpty else { return "none" }
            return "median \(Int(s[s.count / 2])) ms, min \(Int(s[0])) ms, max \(Int(s[s.count - 1])) ms (\(s.count) step-downs)"
        }
        print("a stream's new leader (STREAM.LEADER.STEPDOWN) to the first frame showing it (33 ms frames)")
        print("  from the LEADER_ELECTED advisory:   \(line(fromAdvisory))")
        print("  from the step-down's answer:        \(line(fromAnswer))")
        print("the 3 servers' CPU (% of one core, \(Int(seconds)) s each)")
        print("  no source:                          \(String(format: "%5.2f", idle.cpu)) %")
        print("  one source (JSZ + HEALTHZ, 500 ms): \(String(format: "%5.2f", one.cpu)) %  (\(String(format: "%.1f", one.requests)) requests/s)")
    }
}
