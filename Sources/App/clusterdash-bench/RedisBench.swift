import ClusterProtocol
import ClusterState
import EventSources
import Foundation
import Logging
import RedisSource

#if canImport(Glibc)
    import Glibc
#endif

/// `clusterdash-bench redis`: measured on the real cluster of
/// `scripts/redis-cluster-up` (docs/PERFORMANCE.md, "Redis Cluster"). Not a
/// default phase: it hands an empty slot back and forth.
///
/// - Poll cost: the commands the connector sends per second per node, and
///   the CPU of the six servers with and without it.
/// - Change to screen: the last `CLUSTER SETSLOT … NODE` of a hand-over
///   answered, to the first frame (33 ms grid) whose batch carries the
///   slot's new owner (the masters' probe wakes the poll: `MasterViewWatch`).
enum RedisBench {
    static let frameMillis: UInt64 = 33

    /// `clusterdash-bench redis [--seed HOST:PORT] [--dir DIR] [--moves N] [--seconds S]`.
    static func main(_ args: [String]) async throws {
        func value(_ flag: String, _ fallback: String) -> String {
            args.firstIndex(of: flag).flatMap { i in args.index(after: i) < args.endIndex ? args[args.index(after: i)] : nil } ?? fallback
        }
        let env = ProcessInfo.processInfo.environment
        let seed = value("--seed", env["CLUSTERDASH_REDIS_CLUSTER"] ?? "127.0.0.1:17001")
        let dir = value("--dir", (env["CLUSTERDASH_REDIS_DIR"] ?? "/tmp/clusterdash-redis") + "/cluster")
        let moves = Int(value("--moves", "10")) ?? 10
        let seconds = Double(value("--seconds", "20")) ?? 20
        var logger = Logger(label: "bench")
        logger.logLevel = .critical

        let pids = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".pid") }.compactMap { f in
            (try? String(contentsOfFile: "\(dir)/\(f)", encoding: .utf8)).flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
        print("Redis Cluster at \(seed): \(pids.count) server processes")
        let idle = try await PatroniBench.clusterCPU(pids, seconds: seconds) { 0 }.cpu
        let source = RedisClusterSource(config: RedisClusterConfig(seeds: [seed]), clock: wallClockNow, logger: logger)
        source.start()
        let drain = PatroniBench.drainEveryFrame([source])
        try await Task.sleep(for: .seconds(2))
        let nodes = max(1, source.knownNodes)
        let load = try await PatroniBench.clusterCPU(pids, seconds: seconds) { source.commandsSent }
        drain.cancel()
        await source.stop()
        print("poll cost (1 s polls and a 150 ms probe of the masters, \(Int(seconds)) s each; CPU of the \(pids.count) servers, % of one core)")
        print(String(format: "  idle: %.1f %% CPU", idle))
        print(
            String(
                format: "  one connector: %.1f commands/s in all, %.2f per node per second (%d nodes), %.1f %% CPU", load.requests,
                load.requests / Double(nodes), nodes, load.cpu))

        let latencies = try await handOvers(seed: seed, moves: moves, logger: logger)
        let s = latencies.sorted()
        if s.isEmpty {
            print("change to screen: no samples")
        } else {
            print(
                "last SETSLOT NODE answered -> first frame showing the new owner (33 ms frames, 1 s polls, 150 ms probe): median \(Int(s[s.count / 2])) ms, min \(Int(s[0])) ms, max \(Int(s[s.count - 1])) ms (\(s.count) hand-overs)"
            )
        }
    }

    /// Hands an empty slot between two masters `moves` times, each time
    /// timing the change to the frame that shows it.
    static func handOvers(seed: String, moves: Int, logger: Logger) async throws -> [Double] {
        let source = RedisClusterSource(config: RedisClusterConfig(seeds: [seed]), clock: wallClockNow, logger: logger)
        source.start()
        defer { Task { await source.stop() } }
        // The first poll: the masters and their ids.
        var masters: [(address: String, id: String)] = []
        for _ in 0..<100 {
            if let poll = source.lastPoll {
                masters = poll.nodes.filter { $0.role == .primary && $0.health == .healthy }.compactMap { n in
                    n.engine?.tag("node_id").flatMap { id in n.address.map { ($0, id) } }
                }
                if masters.count >= 2 { break }
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        guard masters.count >= 2 else { throw BenchFailure("no two healthy masters") }
        // An empty slot of the first master.
        let first = try await RESPConnection.connect(host: "127.0.0.1", port: RedisClusterConfig.hostPort(masters[0].address)?.port ?? 0)
        var slot: Int?
        let view = try ClusterNodes.parse(try await first.send(["CLUSTER", "NODES"]).text ?? "")
        for r in view.first(where: \.isMyself)?.slots ?? [] {
            for s in r.reversed() where try await first.send(["CLUSTER", "COUNTKEYSINSLOT", String(s)]).int == 0 {
                slot = s
                break
            }
            if slot != nil { break }
        }
        await first.close()
        guard let slot else { throw BenchFailure("no empty slot on \(masters[0].address)") }
        var conns: [String: RESPConnection] = [:]
        for m in masters {
            conns[m.address] = try await RESPConnection.connect(host: "127.0.0.1", port: RedisClusterConfig.hostPort(m.address)?.port ?? 0)
        }
        var owner = masters[0]
        var out: [Double] = []
        for i in 0..<moves {
            let to = i % 2 == 0 ? masters[1] : masters[0]
            // Settled: every view agrees before the next hand-over.
            try await Task.sleep(for: .milliseconds(1_500))
            _ = source.queue.take()
            // A hand-over as a move makes it (the slot is empty): the marks,
            // then the new owner first (it bumps its epoch), the old, the rest.
            _ = try await conns[to.address]?.send(["CLUSTER", "SETSLOT", String(slot), "IMPORTING", owner.id])
            _ = try await conns[owner.address]?.send(["CLUSTER", "SETSLOT", String(slot), "MIGRATING", to.id])
            let order = [to.address, owner.address] + masters.map(\.address).filter { $0 != to.address && $0 != owner.address }
            for a in order { _ = try await conns[a]?.send(["CLUSTER", "SETSLOT", String(slot), "NODE", to.id]) }
            let changed = ContinuousClock.now
            var shown: Duration?
            while shown == nil, ContinuousClock.now - changed < .seconds(10) {
                try await Task.sleep(for: .milliseconds(frameMillis))
                let batch = source.queue.take()
                for r in batch.items {
                    if case .assignmentMoved(let m) = r.envelope.event,
                        m.moves.contains(where: { $0.partition == Int64(slot) && $0.to == to.address })
                    {
                        shown = ContinuousClock.now - changed
                    }
                }
            }
            if let shown { out.append(inSeconds(shown) * 1000) }
            owner = to
            // A random phase against the 1 s poll: the figure is not an artefact of the cadence.
            try await Task.sleep(for: .milliseconds(Int64.random(in: 0...1_000)))
        }
        for c in conns.values { await c.close() }
        return out
    }

    struct BenchFailure: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }
}
