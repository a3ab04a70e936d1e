import ClusterProtocol
import ClusterState
import Dashboard
import EventSources
import Foundation
import RenderCore

/// Time to render one 200x60 screen of a large cluster into a buffer (the
/// frame the ncurses backend then diffs), at three cluster sizes.
enum FrameTime {
    struct Result {
        var nodes: Int
        var partitions: Int
        var logEntries: Int
        var p50: Double
        var p99: Double
    }

    /// A model of a cluster of the given size, built from envelopes.
    static func model(nodes: Int, partitions: Int, logEntries: Int) -> AppModel {
        var limits = StateLimits()
        limits.logCapacity = max(10_000, logEntries)
        limits.nodes = max(4_096, nodes * 2)
        limits.sources = max(4_096, nodes * 2)
        var state = ClusterState(limits: limits)
        let t0 = Timestamp(millis: 1_795_438_800_000)
        let infos = (1...nodes).map { i in
            NodeInfo(
                id: "node-\(i)", region: ["us-east", "eu-west", "ap-south"][i % 3], role: i == 1 ? .primary : .replica, term: 7,
                lagMillis: Int64(i % 900))
        }
        let table = (0..<partitions).map { p in PartitionAssignment(id: Int64(p), worker: "node-\(p % nodes + 1)") }
        state.apply(
            Envelope(
                id: "snap", source: "node-1", seq: 0, timestamp: t0,
                event: .snapshot(
                    ClusterSnapshot(
                        cluster: "bench", term: 7, leader: "node-1", nodes: infos,
                        assignment: AssignmentTable(version: 1, strategy: .consistentHash, partitions: table),
                        tenants: [TenantPlacement(tenant: "acme", region: "us-east")]))))
        var seq: [Int: Int64] = [:]
        for i in 0..<logEntries {
            let n = i % nodes + 1
            seq[n, default: 0] += 1
            let t = t0.adding(millis: Int64(i))
            let event: Event =
                i % 2 == 0
                ? .healthChanged(HealthChanged(node: "node-\(n)", from: .healthy, to: .suspect, consecutiveFailures: 1, detail: "bench"))
                : .stateChangeSuppressed(StateChangeSuppressed(node: "node-\(n)", state: "replica"))
            state.apply(Envelope(id: "l\(i)", source: "node-\(n)", seq: seq[n] ?? 1, timestamp: t, event: event))
        }
        for i in 0..<min(nodes, 2_000) where i > 0 {
            for k in 0..<60 {
                seq[i + 1, default: 0] += 1
                state.apply(
                    Envelope(
                        id: "lag\(i)-\(k)", source: "node-\(i + 1)", seq: seq[i + 1] ?? 1, timestamp: t0.adding(millis: Int64(logEntries + k * 1000)),
                        event: .replicationLag(
                            ReplicationLag(
                                follower: "node-\(i + 1)", leader: "node-1", lagMillis: Int64((i * 37 + k * 101) % 5000), lagEntries: 1,
                                walPosition: nil))))
            }
        }
        var m = AppModel(feed: Feed(state: state), now: t0.adding(millis: Int64(logEntries + 61_000)))
        // The endpoint's status arrives as the runtime would deliver it: through update.
        _ = update(
            &m,
            .batch(Batch(items: [], dropped: 0, backlog: 0), [EndpointView(name: "bench", status: .live(since: t0, lastFrameAt: m.now))], at: m.now))
        return m
    }

    static func run(quick: Bool) -> [Result] {
        var sizes = [(100, 10_000, 10_000), (1_000, 100_000, 100_000), (10_000, 1_000_000, 1_000_000)]
        // For profiling one size: BENCH_FRAME_NODES=10000 (partitions and log scale with it).
        if let n = ProcessInfo.processInfo.environment["BENCH_FRAME_NODES"].flatMap(Int.init) { sizes = [(n, n * 100, n * 100)] }
        return sizes.map { (n, p, l) in
            let m = model(nodes: n, partitions: p, logEntries: quick ? min(l, 100_000) : l)
            var buffer = Buffer(size: Size(width: 200, height: 60))
            var times: [Double] = []
            let frames = quick ? 50 : sizes.count == 1 ? 3_000 : 300
            let clock = ContinuousClock()
            for i in 0..<(frames + 10) {
                var mm = m
                mm.now = m.now.adding(millis: Int64(i))
                let start = clock.now
                buffer.clear()
                render(mm, into: &buffer)
                let d = clock.now - start
                if i >= 10 { times.append(inSeconds(d) * 1_000) }
            }
            times.sort()
            return Result(
                nodes: n, partitions: p, logEntries: quick ? min(l, 100_000) : l, p50: times[times.count / 2],
                p99: times[min(times.count - 1, times.count * 99 / 100)])
        }
    }
}

/// The resident set size of this process, in MB (Linux /proc).
func residentMB() -> Double {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let parts = text.split(separator: " ")
    guard parts.count > 1, let pages = Double(parts[1]) else { return 0 }
    return pages * 4096 / 1_048_576
}
