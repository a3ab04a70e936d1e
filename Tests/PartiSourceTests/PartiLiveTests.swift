import ClusterProtocol
import ClusterState
import ClusterdashTesting
import EventSources
import Foundation
import NATSClient
import Synchronization
import Testing

@testable import PartiSource

/// Parti is a Go library that cannot be built here (it needs Go 1.25 and
/// modules; Debian has 1.19 and no proxy is reachable), so this writer of
/// ours puts Parti's documented layout into a real NATS KV, bucket by
/// bucket and key by key as Parti's own code writes it (engines.md §8):
/// KV buckets as JetStream streams `KV_<bucket>` on `$KV.<bucket>.>`,
/// one message per key, TTLs as the streams' max age.
final class PartiWriter: Sendable {
    let connection: NATSConnection
    let js: JetStream
    let prefix: String
    /// Workers whose heartbeat and id claim are renewed (every second;
    /// Parti beats every 2 s), and the leader whose election key is.
    let beating = Mutex<Set<String>>([])
    let leader = Mutex<String?>(nil)
    let beater = Mutex<Task<Void, Never>?>(nil)

    init(prefix: String) async throws {
        var last: (any Error)?
        var found: NATSConnection?
        for a in LiveParti.addresses {
            do {
                found = try await NATSConnection.connect(a, logger: quietLogger())
                break
            } catch { last = error }
        }
        guard let found else { throw last ?? NATSError.closed("no server") }
        connection = found
        js = JetStream(found)
        self.prefix = prefix
        let b = PartiKV.buckets(prefix: prefix)
        // Parti's TTLs: ids 30 s, heartbeats 6 s, the election the election timeout, assignments none.
        for (bucket, ttl) in [(b.stableID, 30), (b.election, 10), (b.heartbeat, 6), (b.assignment, 0)] {
            _ = try? await js.call("STREAM.DELETE.KV_\(bucket)")
            _ = try await js.ensureStream([
                "name": "KV_\(bucket)", "subjects": ["$KV.\(bucket).>"], "max_msgs_per_subject": 1, "discard": "new", "allow_rollup_hdrs": true,
                "deny_delete": true, "max_age": ttl * 1_000_000_000, "num_replicas": 1, "storage": "file",
            ])
        }
        let task = Task { [self] in
            while !Task.isCancelled {
                for w in beating.withLock({ $0 }) {
                    try? await beat(w)
                    try? await claim(w)
                }
                if let l = leader.withLock({ $0 }) { try? await elect(l) }
                try? await Task.sleep(for: .seconds(1))
            }
        }
        beater.withLock { $0 = task }
    }

    func put(_ bucket: String, _ key: String, _ value: String) async throws {
        _ = try await js.publish("$KV.\(bucket).\(key)", payload: Array(value.utf8))
    }

    func delete(_ bucket: String, _ key: String) async throws {
        _ = try await js.publish("$KV.\(bucket).\(key)", headers: [NATSHeader("KV-Operation", "DEL")], payload: [])
    }

    static func now() -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: Date())
    }

    func claim(_ worker: String) async throws { try await put(PartiKV.buckets(prefix: prefix).stableID, worker, Self.now()) }
    func beat(_ worker: String) async throws { try await put(PartiKV.buckets(prefix: prefix).heartbeat, "heartbeat.\(worker)", Self.now()) }
    func elect(_ worker: String) async throws {
        try await put(PartiKV.buckets(prefix: prefix).election, "leader", "\(worker):\(Int(Date().timeIntervalSince1970))")
    }

    /// One version for every worker, as `AssignmentPublisher.Publish` does:
    /// stale workers' keys deleted first.
    func publish(version: Int, lifecycle: String, _ table: [String: [String]], stale: [String] = []) async throws {
        let bucket = PartiKV.buckets(prefix: prefix).assignment
        for w in stale { try await delete(bucket, "assignment.\(w)") }
        for (w, parts) in table {
            let partitions = parts.map { #"{"keys":["\#($0)"],"weight":100}"# }.joined(separator: ",")
            try await put(bucket, "assignment.\(w)", #"{"version":\#(version),"lifecycle":"\#(lifecycle)","partitions":[\#(partitions)]}"#)
        }
    }

    func close() async {
        await beater.cancelAndWait()
        let b = PartiKV.buckets(prefix: prefix)
        for bucket in [b.stableID, b.election, b.heartbeat, b.assignment] { _ = try? await js.call("STREAM.DELETE.KV_\(bucket)") }
        connection.close()
    }
}

/// The stream transport's JetStream cluster of scripts/nats-up (no
/// accounts: Parti's buckets as any account's; the nats engine's cluster
/// has its servers SIGKILLed by a suite that runs at the same time); without
/// CLUSTERDASH_NATS the suite is skipped, and says so.
enum LiveParti {
    static var servers: [String] { (ProcessInfo.processInfo.environment["CLUSTERDASH_NATS"] ?? "").split(separator: ",").map(String.init) }
    static var enabled: Bool { !servers.isEmpty }
    static var addresses: [NATSAddress] { servers.compactMap { try? NATSAddress(url: "nats://\($0)") } }
}

extension StateWatcher where S == PartiSource {
    convenience init(partiPrefix: String) {
        var config = PartiSourceConfig(servers: LiveParti.addresses, bucketPrefix: partiPrefix)
        config.pollInterval = .milliseconds(500)
        self.init(source: PartiSource(config: config, clock: wallClockNow, logger: quietLogger()))
    }
}

// Needs a real NATS cluster with JetStream: scripts/nats-up (.ci/run starts it) and CLUSTERDASH_NATS.
@Suite(.serialized, .enabled(if: LiveParti.enabled, "needs scripts/nats-up and CLUSTERDASH_NATS")) struct PartiLiveTests {
    /// A Parti cluster written into KV goes from cold start to stable,
    /// loses a worker (its heartbeat expires: emergency), gains one
    /// (planned scale), and a partition published to two workers raises
    /// the duplicate alarm; every step on screen as Parti's keys say.
    @Test func coldStartEmergencyPlannedScaleAndADuplicate() async throws {
        let w = try await PartiWriter(prefix: "cdtest")
        defer { Task { await w.close() } }
        let watcher = StateWatcher(partiPrefix: "cdtest")
        defer { Task { await watcher.stop() } }
        let b = PartiKV.buckets(prefix: "cdtest")

        // Cold start: three ids, heartbeats, worker-0 elected, v1.
        for n in 0..<3 { try await w.claim("worker-\(n)") }
        w.beating.withLock { $0 = ["worker-0", "worker-1", "worker-2"] }
        for n in 0..<3 { try await w.beat("worker-\(n)") }
        try await w.elect("worker-0")
        w.leader.withLock { $0 = "worker-0" }
        try await w.publish(
            version: 1, lifecycle: "cold_start", ["worker-0": ["p0", "p1"], "worker-1": ["p2", "p3"], "worker-2": ["p4", "p5"]])
        let stable = await watcher.until(8) { s in
            s.primaries == ["worker-0"] && s.nodes.count == 3 && s.nodes.values.allSatisfy { $0.info.health == .healthy }
                && s.assignment?.version == 1 && s.assignment?.partitions.count == 6
        }
        #expect(stable, "\(watcher.state.nodes.mapValues { $0.info.engine?.state ?? "" })")
        #expect(watcher.state.assignment?.reason == .coldStart)
        #expect(watcher.state.assignment?.duplicateIDs.isEmpty == true && watcher.state.orphanedPartitions == 0)
        #expect(watcher.state.assignment?.partitions.map(\.name).compactMap { $0 }.sorted() == ["p0", "p1", "p2", "p3", "p4", "p5"])
        #expect(watcher.state.assignment?.workers["worker-1"]?.weight == 200)

        // worker-2 stops beating: late after two beats, gone when the key expires (6 s).
        w.beating.withLock { _ = $0.remove("worker-2") }
        let late = await watcher.until(8) { $0.nodes["worker-2"]?.info.health == .suspect }
        #expect(late, "\(watcher.state.nodes["worker-2"]?.info.engine?.state ?? "none")")
        let gone = await watcher.until(10) { s in
            s.nodes["worker-2"]?.info.health == .unhealthy && s.nodes["worker-2"]?.info.engine?.state?.hasPrefix("gone") == true
        }
        #expect(gone, "\(watcher.state.nodes["worker-2"]?.info.engine?.state ?? "none")")
        #expect(watcher.state.engine?.state?.contains("worker-2 gone with 2 partitions") == true, "\(watcher.state.engine?.state ?? "")")
        // The leader's emergency rebalance: v2 without worker-2.
        try await w.publish(
            version: 2, lifecycle: "emergency", ["worker-0": ["p0", "p1", "p4"], "worker-1": ["p2", "p3", "p5"]], stale: ["worker-2"])
        #expect(await watcher.until(5) { $0.assignment?.version == 2 && $0.assignment?.reason == .emergency })
        #expect(watcher.state.assignment?.workers["worker-2"] == nil && watcher.state.assignment?.partitions.count == 6)

        // worker-3 joins: waiting for an assignment, then a planned scale.
        try await w.claim("worker-3")
        w.beating.withLock { _ = $0.insert("worker-3") }
        try await w.beat("worker-3")
        let waiting = await watcher.until(5) { s in s.nodes["worker-3"]?.info.managerState == .waitingAssignment }
        #expect(waiting, "\(watcher.state.nodes["worker-3"]?.info.engine?.state ?? "none")")
        try await w.publish(
            version: 3, lifecycle: "planned_scale", ["worker-0": ["p0", "p1"], "worker-1": ["p2", "p3"], "worker-3": ["p4", "p5"]])
        #expect(await watcher.until(5) { $0.assignment?.version == 3 && $0.assignment?.reason == .plannedScale })
        #expect(watcher.state.nodes["worker-3"]?.info.managerState == .stable && watcher.state.nodes["worker-3"]?.info.health == .healthy)

        // v4 gives p0 to two workers, and worker-3 is left on v3.
        let bucket = b.assignment
        try await w.put(
            bucket, "assignment.worker-0",
            #"{"version":4,"lifecycle":"restart","partitions":[{"keys":["p0"],"weight":100},{"keys":["p1"],"weight":100}]}"#)
        try await w.put(
            bucket, "assignment.worker-1",
            #"{"version":4,"lifecycle":"restart","partitions":[{"keys":["p0"],"weight":100},{"keys":["p2"],"weight":100}]}"#)
        let duplicated = await watcher.until(5) { $0.assignment?.version == 4 && $0.assignment?.duplicateIDs.count == 1 }
        #expect(duplicated, "\(watcher.state.assignment?.duplicateIDs ?? [])")
        #expect(watcher.state.engine?.state?.contains("worker-3 holds v3, the newest is v4") == true, "\(watcher.state.engine?.state ?? "")")
        #expect(watcher.state.nodes["worker-3"]?.info.health == .degraded)

        // Every command is refused: Parti decides alone.
        #expect(watcher.source.send(.promote(requestID: "parti-p", node: "worker-1")))
        #expect(await watcher.until(3) { _ in watcher.results.contains { $0.requestID == "parti-p" } })
        #expect(watcher.results.first { $0.requestID == "parti-p" }?.status == .rejected)
    }
}
