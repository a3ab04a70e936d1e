import ClusterProtocol
import ClusterState
import EventSources
import Foundation
import ProtocolV1Source

/// `clusterdash-bench restarts [N]` (docs/RELIABILITY.md): the server under a
/// dashboard's source is SIGKILLed and started again on the same port N times
/// (default 100). Each time: how long from the new server accepting (its
/// "serving" line) until the source is live on it again. At the end the
/// state the source fed (resyncs answered with snapshots, as the dashboard
/// does) is compared with a fresh snapshot from the last server.
enum Restarts {
    static func main(_ args: [String]) async throws {
        let count = args.first.flatMap { Int($0) } ?? 100
        var sim = try startSim(["--listen", "127.0.0.1:0", "--seed", "1"])
        guard let port = URLComponents(string: sim.url)?.port else { throw SpawnFailure(description: "no port in \(sim.url)") }
        let source = WebSocketSource(endpoints: [EndpointConfig(url: sim.url)], clock: wallClockNow, logger: benchLogger())
        source.start()
        var state = ClusterState()
        var resyncs = 0
        func pump() {
            for r in source.queue.take().items where state.apply(r.envelope).needsSnapshot {
                resyncs += 1
                source.requestSnapshot(endpoint: r.endpoint)
            }
        }
        /// Waits (pumping) until the source is live since `after`; the seconds it took, nil after 30 s.
        func waitLive(after: Timestamp) async throws -> Double? {
            let clock = ContinuousClock()
            let start = clock.now
            while clock.now - start < .seconds(30) {
                pump()
                if case .live(let since, _) = source.statuses[0], since >= after {
                    let d = clock.now - start
                    return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
                }
                try await Task.sleep(for: .milliseconds(5))
            }
            return nil
        }
        guard try await waitLive(after: Timestamp(millis: 0)) != nil else { throw SpawnFailure(description: "never live at first") }
        var times: [Double] = []
        var missed = 0
        var random = SplitMix64(seed: 42)
        for i in 1...count {
            // Live for a while (0.2-1.2 s: events flow), then killed.
            let until = ContinuousClock.now.advanced(by: .milliseconds(200 + Int(random.next() % 1_000)))
            while ContinuousClock.now < until {
                pump()
                try await Task.sleep(for: .milliseconds(10))
            }
            kill(sim.pid, SIGKILL)
            var status: Int32 = 0
            waitpid(sim.pid, &status, 0)
            sim = try startSim(["--listen", "127.0.0.1:\(port)", "--seed", "\(i + 1)"])
            let accepting = wallClockNow()
            if let t = try await waitLive(after: accepting) { times.append(t) } else { missed += 1 }
        }
        // Settle, then compare with what the last server says now.
        let settle = ContinuousClock.now.advanced(by: .seconds(2))
        while ContinuousClock.now < settle {
            pump()
            try await Task.sleep(for: .milliseconds(10))
        }
        let truth = try await serverSnapshot(sim.url)
        pump()
        let same = comparable(state) == comparable(truth)
        await source.stop()
        stopProcess(sim.pid)
        times.sort()
        let p50 = times.isEmpty ? 0 : times[times.count / 2]
        let p99 = times.isEmpty ? 0 : times[min(times.count - 1, times.count * 99 / 100)]
        print("restarts: \(count), live again: \(times.count), missed (30 s): \(missed), resyncs asked: \(resyncs)")
        print(String(format: "time to live after the server accepts: p50 %.3f s, p99 %.3f s, max %.3f s", p50, p99, times.last ?? 0))
        print("state after the last restart equals the server's snapshot: \(same ? "yes" : "NO")")
        if !same {
            print("  ours:   \(comparable(state))")
            print("  server: \(comparable(truth))")
        }
        if missed > 0 || !same { exit(1) }
    }

    /// A fresh subscriber's first envelope (a snapshot), applied.
    static func serverSnapshot(_ url: String) async throws -> ClusterState {
        let probe = WebSocketSource(endpoints: [EndpointConfig(url: url)], clock: wallClockNow, logger: benchLogger())
        probe.start()
        defer { Task { await probe.stop() } }
        var state = ClusterState()
        let deadline = ContinuousClock.now.advanced(by: .seconds(10))
        while ContinuousClock.now < deadline {
            for r in probe.queue.take().items {
                if case .snapshot = r.envelope.event {
                    state.apply(r.envelope)
                    return state
                }
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw SpawnFailure(description: "no snapshot from \(url)")
    }

    /// What does not move between two looks at a quiet cluster: members,
    /// roles, health, term, leader, the assignment and the tenants (lag
    /// samples and heartbeats do move).
    static func comparable(_ s: ClusterState) -> String {
        let nodes = s.nodes.values.filter(\.isPresent).sorted { $0.id < $1.id }.map { "\($0.id):\($0.info.role.wire):\($0.info.health)" }
        let tenants = s.tenants.sorted { $0.key < $1.key }.map { "\($0.key)@\($0.value)" }
        return
            "term \(s.term) leader \(s.leader ?? "-") nodes \(nodes.joined(separator: ",")) assignment v\(s.assignment?.version ?? 0)/\(s.assignment?.partitions.count ?? 0) tenants \(tenants.joined(separator: ","))"
    }
}
