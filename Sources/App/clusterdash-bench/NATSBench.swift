import ClusterProtocol
import EventSources
import Foundation
import Logging
import NATSClient
import NATSStreamSource
import ProtocolV1Source
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// `clusterdash-bench nats`: the stream through NATS JetStream against the
/// direct WebSocket path, on the cluster of `scripts/nats-up`
/// (docs/PERFORMANCE.md, "NATS JetStream"). Not a default phase.
///
/// - Throughput: `clusterdash sim --rate R --publish …` in a process of its
///   own offers R events a second; one reader takes them directly
///   (ws://) and one through JetStream (nats://): events a second received.
/// - Fan-out: at a steady rate, 1, 10 and 100 readers by each path; the
///   CPU of the simulator's process (the gateway's part) and of the three
///   NATS servers.
enum NATSBench {
    /// `clusterdash-bench nats [--seconds S] [--rate R] [--flood-rate R] [--readers 1,10,100]`.
    static func main(_ args: [String]) async throws {
        func value(_ flag: String, _ fallback: String) -> String {
            args.firstIndex(of: flag).flatMap { i in args.index(after: i) < args.endIndex ? args[args.index(after: i)] : nil } ?? fallback
        }
        let env = ProcessInfo.processInfo.environment
        let servers = try (env["CLUSTERDASH_NATS"] ?? "127.0.0.1:14231,127.0.0.1:14232,127.0.0.1:14233").split(separator: ",").map {
            try NATSAddress(url: "nats://\($0)")
        }
        let dir = env["CLUSTERDASH_NATS_DIR"] ?? "/tmp/clusterdash-nats"
        let seconds = Double(value("--seconds", "10")) ?? 10
        let rate = Int(value("--rate", "500")) ?? 500
        let floodRate = Int(value("--flood-rate", "20000")) ?? 20_000
        let counts = value("--readers", "1,10,100").split(separator: ",").compactMap { Int($0) }
        var logger = Logger(label: "bench")
        logger.logLevel = .critical
        let natsPIDs = (1...3).compactMap { n in
            (try? String(contentsOfFile: "\(dir)/n\(n).pid", encoding: .utf8)).flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
        print("NATS JetStream: \(servers.count) servers (\(natsPIDs.count) PIDs in \(dir))")

        // Throughput: one reader each way, the simulator offering `floodRate`.
        let flood = try PublishingSim.start(rate: floodRate, servers: servers)
        defer { flood.stop() }
        print("throughput: the simulator offers \(floodRate) events/s (\(Int(seconds)) s each, after 3 s)")
        for path in ["ws", "nats"] {
            let r = try await measure(path: path, readers: 1, sim: flood, servers: servers, natsPIDs: natsPIDs, seconds: seconds, logger: logger)
            print(String(format: "  %@: %.0f events/s received", path == "ws" ? "direct ws://" : "through JetStream", r.perReader))
        }
        flood.stop()
        await flood.deleteStream(servers: servers)

        let steady = try PublishingSim.start(rate: rate, servers: servers)
        defer { steady.stop() }
        print("fan-out at \(rate) events/s (\(Int(seconds)) s each; CPU in % of one core)")
        print("  path    readers  events/s each  simulator+publisher CPU  NATS servers CPU  readers' process CPU")
        for path in ["ws", "nats"] {
            for n in counts {
                let r = try await measure(path: path, readers: n, sim: steady, servers: servers, natsPIDs: natsPIDs, seconds: seconds, logger: logger)
                print(
                    String(
                        format: "  %-6@ %8d %14.0f %24.1f %17.1f %21.1f", path == "ws" ? "ws" : "nats", n, r.perReader, r.simCPU, r.natsCPU,
                        r.readersCPU))
            }
        }
        steady.stop()
        await steady.deleteStream(servers: servers)
    }

    struct Result {
        var perReader: Double
        var simCPU: Double
        var natsCPU: Double
        /// This process: the readers (decoding included).
        var readersCPU: Double
    }

    static func measure(
        path: String, readers n: Int, sim: PublishingSim, servers: [NATSAddress], natsPIDs: [pid_t], seconds: Double, logger: Logger
    ) async throws -> Result {
        let sources: [any EventSource] = (0..<n).map { k in
            if path == "ws" {
                return WebSocketSource(endpoints: [EndpointConfig(url: sim.url)], clock: wallClockNow, logger: logger)
            }
            var c = NATSSourceConfig(servers: Array(servers[(k % servers.count)...] + servers[..<(k % servers.count)]), cluster: sim.cluster)
            c.readOnly = true
            return NATSSource(config: c, clock: wallClockNow, logger: logger)
        }
        let received = Atomic<Int>(0)
        for s in sources { s.start() }
        let drain = Task {
            while !Task.isCancelled {
                for s in sources {
                    var b = s.queue.take()
                    received.add(b.items.count, ordering: .relaxed)
                    s.queue.recycle(&b)
                }
                try? await Task.sleep(for: .milliseconds(33))
            }
        }
        try await Task.sleep(for: .seconds(3))
        let sim0 = IdleCPU.cpuNanos(sim.pid)
        let nats0 = natsPIDs.map(IdleCPU.cpuNanos).reduce(0, +)
        let own0 = IdleCPU.cpuNanos(getpid())
        let r0 = received.load(ordering: .relaxed)
        let t0 = ContinuousClock.now
        try await Task.sleep(for: .seconds(seconds))
        let secs = inSeconds(ContinuousClock.now - t0)
        let got = received.load(ordering: .relaxed) - r0
        let simCPU = Double(IdleCPU.cpuNanos(sim.pid) - sim0) / 1e9 / secs * 100
        let natsCPU = Double(natsPIDs.map(IdleCPU.cpuNanos).reduce(0, +) - nats0) / 1e9 / secs * 100
        let ownCPU = Double(IdleCPU.cpuNanos(getpid()) - own0) / 1e9 / secs * 100
        drain.cancel()
        for s in sources { await s.stop() }
        return Result(perReader: Double(got) / secs / Double(n), simCPU: simCPU, natsCPU: natsCPU, readersCPU: ownCPU)
    }
}

/// `clusterdash sim --rate R --publish …` in a process of its own.
struct PublishingSim {
    let pid: pid_t
    let url: String
    let cluster: String

    static func start(rate: Int, servers: [NATSAddress]) throws -> PublishingSim {
        let cluster = "bench-\(getpid())-\(rate)"
        let (pid, url) = try startSim(
            [
                "--listen", "127.0.0.1:0", "--rate", String(rate), "--cold-start-window", "1s", "--publish-cluster", cluster, "--publish-max-mb",
                "32",
                "--publish-max-age", "10m",
            ] + servers.flatMap { ["--publish", $0.description] })
        // The publisher's first snapshot is on NATS within a second or two.
        usleep(2_000_000)
        return PublishingSim(pid: pid, url: url, cluster: cluster)
    }

    func stop() { stopProcess(pid) }

    /// Deletes the stream it published (the servers' storage is reserved by stream).
    func deleteStream(servers: [NATSAddress]) async {
        guard let first = servers.first, let c = try? await NATSConnection.connect(first, logger: Logger(label: "bench")) else { return }
        _ = try? await JetStream(c).call("STREAM.DELETE.\(ClusterSubjects.streamPrefix)\(cluster)")
        c.close()
    }
}
