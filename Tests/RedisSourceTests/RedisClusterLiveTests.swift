import ClusterProtocol
import ClusterState
import ClusterdashTesting
import EventSources
import Foundation
import Logging
import Testing

@testable import RedisSource

/// The real 6-node cluster of `scripts/redis-cluster-up` (started by
/// `.ci/run`, which sets these variables); without them the suite is
/// skipped, and says so.
enum LiveRedisCluster {
    static let env = ProcessInfo.processInfo.environment
    /// One node, `127.0.0.1:17001`.
    static var seed: String? { env["CLUSTERDASH_REDIS_CLUSTER"] }
    static var dir: String { (env["CLUSTERDASH_REDIS_DIR"] ?? "/tmp/clusterdash-redis") + "/cluster" }
    static var enabled: Bool { seed != nil }

    static func connect(_ address: String) async throws -> RESPConnection {
        let (host, port) = try #require(RedisClusterConfig.hostPort(address))
        return try await RESPConnection.connect(host: host, port: port)
    }

    /// One command on a fresh connection (the test's own, not the connector's).
    static func ask(_ address: String, _ command: [String]) async throws -> RESPValue {
        let c = try await connect(address)
        defer { Task { await c.close() } }
        return try await c.send(command)
    }

    static func nodes(_ address: String) async throws -> [ClusterNode] {
        try ClusterNodes.parse(try #require(try await ask(address, ["CLUSTER", "NODES"]).text))
    }

    static func pid(_ address: String) -> Int32? {
        guard let port = RedisClusterConfig.hostPort(address)?.port else { return nil }
        return ChildProcess.pid("\(dir)/redis-\(port).pid")
    }

    static func source(_ edit: (inout RedisClusterConfig) -> Void = { _ in }) -> RedisClusterSource {
        var config = RedisClusterConfig(seeds: [seed ?? ""])
        config.pollInterval = .milliseconds(500)
        edit(&config)
        var logger = Logger(label: "redis-test")
        logger.logLevel = ProcessInfo.processInfo.environment["CLUSTERDASH_TEST_LOG"] == nil ? .critical : .debug
        return RedisClusterSource(config: config, clock: wallClockNow, logger: logger)
    }
}

// Needs a real cluster: scripts/redis-cluster-up (.ci/run starts it) and CLUSTERDASH_REDIS_CLUSTER.
@Suite(.serialized, .enabled(if: LiveRedisCluster.enabled, "needs scripts/redis-cluster-up")) struct RedisClusterLiveTests {
    /// Every slot's owner by `CLUSTER SHARDS` (asked of `address`).
    func shardsOwners(_ address: String) async throws -> [String?] {
        var owners = [String?](repeating: nil, count: HashSlot.count)
        let shards = try #require(try await LiveRedisCluster.ask(address, ["CLUSTER", "SHARDS"]).elements)
        for shard in shards {
            let fields = Dictionary(try #require(shard.fields), uniquingKeysWith: { a, _ in a })
            let slots = (fields["slots"]?.elements ?? []).compactMap(\.int)
            let master = (fields["nodes"]?.elements ?? []).compactMap { n -> String? in
                let f = Dictionary(n.fields ?? [], uniquingKeysWith: { a, _ in a })
                guard f["role"]?.text == "master", f["health"]?.text == "online", let ip = f["ip"]?.text, let port = f["port"]?.int else {
                    return nil
                }
                return "\(ip):\(port)"
            }.first
            for i in stride(from: 0, to: slots.count - 1, by: 2) {
                for s in Int(slots[i])...Int(slots[i + 1]) { owners[s] = master }
            }
        }
        return owners
    }

    /// The healthy masters and their replicas, as the dashboard holds them.
    func topology(_ s: ClusterState) -> [(master: String, replica: String?)] {
        s.primaries.filter { s.nodes[$0]?.info.health == .healthy }.map { m in
            let shard = s.nodes[m]?.info.engine?.shard
            let replica = s.nodes.values.first { $0.info.role == .replica && $0.info.engine?.shard == shard && $0.info.health == .healthy }?.id
            return (m, replica)
        }
    }

    /// Waits for a steady cluster: three healthy masters with a replica
    /// each, every slot owned once, cluster_state ok, no move under way.
    func steady<S>(_ w: StateWatcher<S>, _ seconds: Double = 30) async -> Bool {
        await w.until(seconds) { s in
            let t = topology(s)
            return t.count == 3 && t.allSatisfy { $0.replica != nil } && s.engine?.state == "ok" && s.orphanedPartitions == 0
                && (s.assignment?.duplicateIDs.isEmpty ?? false) && s.assignment?.partitions.count == HashSlot.count
                && s.engine?.divergence.isEmpty == true
        }
    }

    func writeKeys(_ tag: String, count: Int, at address: String) async throws {
        let c = try await LiveRedisCluster.connect(address)
        for i in 0..<count {
            let answer = try await c.send(["SET", "{\(tag)}:k\(i)", "v\(i)"])
            #expect(answer == .simple("OK"))
        }
        await c.close()
    }

    /// Keys of `tag` that `address` returns with their right value, asked directly (no redirect followed).
    func readable(_ tag: String, count: Int, at address: String) async throws -> Int {
        let c = try await LiveRedisCluster.connect(address)
        var ok = 0
        for i in 0..<count where try await c.send(["GET", "{\(tag)}:k\(i)"]).text == "v\(i)" { ok += 1 }
        await c.close()
        return ok
    }

    func deleteKeys(_ tag: String, count: Int, at address: String) async throws {
        let c = try await LiveRedisCluster.connect(address)
        for i in 0..<count { _ = try await c.send(["DEL", "{\(tag)}:k\(i)"]) }
        await c.close()
    }

    func owner(_ slot: Int, in s: ClusterState) -> String? {
        s.assignment?.partitions.first { $0.id == Int64(slot) }?.worker
    }

    @Test("the slot table and the masters equal CLUSTER SHARDS, every slot once")
    func slotTableEqualsClusterShards() async throws {
        let w = StateWatcher(source: LiveRedisCluster.source())
        defer { Task { await w.stop() } }
        #expect(await steady(w))
        let seed = try #require(LiveRedisCluster.seed)
        let expected = try await shardsOwners(seed)
        let agreed = await w.until(10) { s in
            guard let parts = s.assignment?.partitions, parts.count == HashSlot.count else { return false }
            return parts.map(\.worker) == expected && parts.map(\.id) == (0..<Int64(HashSlot.count)).map { $0 }
        }
        #expect(agreed, "the table equals CLUSTER SHARDS")
        let s = w.state
        #expect(Set(s.primaries) == Set(expected.compactMap { $0 }))
        #expect(s.nodes.count == 6)
        #expect(!s.isSplitBrain)
        #expect(s.engine?.name == "redis-cluster")
        #expect(w.source.statuses.first?.isLive == true)
    }

    @Test("polls a minute apart: a slot handed over by hand is on screen within seconds, woken by the masters' probe")
    func mastersProbeWakesThePollOnAHandOver() async throws {
        let w = StateWatcher(source: LiveRedisCluster.source { $0.pollInterval = .seconds(60) })
        defer { Task { await w.stop() } }
        // The first poll only: the table and the masters.
        #expect(await w.until(10) { $0.assignment?.partitions.count == HashSlot.count && $0.primaries.count == 3 })
        let masters = w.state.primaries.sorted()
        let from = try #require(masters.first)
        let to = try #require(masters.last)
        let ids = Dictionary(
            uniqueKeysWithValues: try await LiveRedisCluster.nodes(from).map { ($0.address, $0.id) })
        let (fromID, toID) = (try #require(ids[from]), try #require(ids[to]))
        // An empty slot of `from`, handed to `to` as a move does (the marks, then SETSLOT NODE).
        let mine = try #require(w.state.assignment?.partitions.filter { $0.worker == from }.map(\.id))
        var slot: Int64?
        for s in mine.reversed() where try await LiveRedisCluster.ask(from, ["CLUSTER", "COUNTKEYSINSLOT", String(s)]).int == 0 {
            slot = s
            break
        }
        let empty = try #require(slot)
        func handOver(_ slot: Int64, from: String, fromID: String, to: String, toID: String) async throws {
            _ = try await LiveRedisCluster.ask(to, ["CLUSTER", "SETSLOT", String(slot), "IMPORTING", fromID])
            _ = try await LiveRedisCluster.ask(from, ["CLUSTER", "SETSLOT", String(slot), "MIGRATING", toID])
            for a in [to, from] + masters.filter({ $0 != to && $0 != from }) {
                _ = try await LiveRedisCluster.ask(a, ["CLUSTER", "SETSLOT", String(slot), "NODE", toID])
            }
        }
        try await handOver(empty, from: from, fromID: fromID, to: to, toID: toID)
        // The next poll is a minute away: only the probe can bring it now.
        let seen = await w.until(5) { owner(Int(empty), in: $0) == to }
        // Given back, whatever the outcome.
        try await handOver(empty, from: to, fromID: toID, to: from, toID: fromID)
        #expect(seen, "slot \(empty) on \(to) within 5 s with polls 60 s apart")
        #expect(await w.until(5) { owner(Int(empty), in: $0) == from }, "and back on \(from)")
    }

    @Test("a tenant of 10,000 keys moved from the connector: progress on the way, every key readable at the target")
    func tenantMoveOfTenThousandKeys() async throws {
        let w = StateWatcher(source: LiveRedisCluster.source { $0.migratePause = .milliseconds(5) })
        defer { Task { await w.stop() } }
        #expect(await steady(w))
        let tag = "cd-move-\(UInt32.random(in: 0...UInt32.max))"
        let slot = HashSlot.of(tag)
        let source = try #require(owner(slot, in: w.state))
        let target = try #require(topology(w.state).map(\.master).first { $0 != source })
        try await writeKeys(tag, count: 10_000, at: source)
        #expect(w.source.send(.migrate(requestID: "move-1", tenant: "{\(tag)}", target: target, dryRun: false)))
        let done = await w.until(60) { s in s.migrations.values.contains { $0.info.state == .completed && $0.info.tenant.contains(tag) } }
        #expect(done, "the move completed: \(w.results.map(\.reason))")
        let progress = w.events.compactMap { e -> MigrationProgress? in
            if case .migrationProgress(let p) = e { return p }
            return nil
        }
        #expect(progress.contains { $0.drainedEntries > 0 && $0.drainedEntries < 10_000 && $0.totalEntries == 10_000 }, "progress in between")
        #expect(w.results.last { $0.requestID == "move-1" }?.status == .completed)
        #expect(try await readable(tag, count: 10_000, at: target) == 10_000, "every key at the target")
        #expect(try await LiveRedisCluster.ask(source, ["CLUSTER", "COUNTKEYSINSLOT", String(slot)]).int == 0)
        // Every node says so (SETSLOT NODE went to every master; replicas learn by gossip).
        var everyone = false
        for _ in 0..<40 {
            var agree = true
            for n in try await LiveRedisCluster.nodes(target) where !n.isFailed {
                let view = try await LiveRedisCluster.nodes(n.address)
                let owner = view.first { $0.isMaster && $0.slots.contains { $0.contains(slot) } }?.address
                if owner != target { agree = false }
            }
            if agree {
                everyone = true
                break
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(everyone, "every node gives slot \(slot) to \(target)")
        #expect(await w.until(5) { owner(slot, in: $0) == target })
        // A dry run validates and moves nothing.
        #expect(w.source.send(.migrate(requestID: "dry-1", tenant: "slot \(slot)", target: source, dryRun: true)))
        #expect(await w.until(10) { _ in w.results.contains { $0.requestID == "dry-1" && $0.status == .completed } })
        #expect(try await LiveRedisCluster.ask(target, ["CLUSTER", "COUNTKEYSINSLOT", String(slot)]).int == 10_000)
        // Refusals say why, and send nothing.
        #expect(w.source.send(.migrate(requestID: "same-1", tenant: "{\(tag)}", target: target, dryRun: false)))
        #expect(w.source.send(.migrate(requestID: "bad-1", tenant: "slot 99999", target: target, dryRun: false)))
        #expect(await w.until(5) { _ in Set(w.results.filter { $0.status == .rejected }.map(\.requestID)).isSuperset(of: ["same-1", "bad-1"]) })
        try await deleteKeys(tag, count: 10_000, at: target)
    }

    @Test("a cancelled move puts the keys back: every key readable at the source, the slot stable where it was")
    func cancelledMoveLeavesEveryKeyReadable() async throws {
        let w = StateWatcher(
            source: LiveRedisCluster.source {
                $0.migrateBatch = 10
                $0.migratePause = .milliseconds(20)
            })
        defer { Task { await w.stop() } }
        #expect(await steady(w))
        let tag = "cd-cancel-\(UInt32.random(in: 0...UInt32.max))"
        let slot = HashSlot.of(tag)
        let source = try #require(owner(slot, in: w.state))
        let target = try #require(topology(w.state).map(\.master).first { $0 != source })
        try await writeKeys(tag, count: 10_000, at: source)
        #expect(w.source.send(.migrate(requestID: "move-2", tenant: tag, target: target, dryRun: false)))
        let moving = await w.until(30) { s in s.migrations.values.contains { $0.info.state == .inProgress && $0.info.drainedEntries >= 300 } }
        #expect(moving, "the move is under way")
        let id = try #require(w.state.migrations.values.first { $0.info.state == .inProgress }?.info.migrationID)
        #expect(w.source.send(.cancelMigration(requestID: "cancel-2", migrationID: id)))
        let cancelled = await w.until(60) { s in s.migrations[id]?.info.state == .cancelled }
        #expect(cancelled, "cancelled: \(w.results.map(\.reason))")
        #expect(w.results.contains { $0.requestID == "cancel-2" && $0.status == .accepted })
        #expect(try await readable(tag, count: 10_000, at: source) == 10_000, "every key back at the source")
        #expect(try await LiveRedisCluster.ask(target, ["CLUSTER", "COUNTKEYSINSLOT", String(slot)]).int == 0)
        for address in [source, target] {
            let me = try #require(try await LiveRedisCluster.nodes(address).first(where: \.isMyself))
            #expect(me.migrating.isEmpty && me.importing.isEmpty, "\(address) has no mark left")
        }
        #expect(await w.until(5) { owner(slot, in: $0) == source })
        try await deleteKeys(tag, count: 10_000, at: source)
    }

    @Test("stopping the source (quitting) mid-move cancels the move: every key back, the slot stable where it was")
    func stoppingMidMoveLeavesNoSlotHalfMoved() async throws {
        let source = LiveRedisCluster.source {
            $0.migrateBatch = 10
            $0.migratePause = .milliseconds(20)
        }
        let w = StateWatcher(source: source)
        #expect(await steady(w))
        let tag = "cd-quit-\(UInt32.random(in: 0...UInt32.max))"
        let slot = HashSlot.of(tag)
        let from = try #require(owner(slot, in: w.state))
        let to = try #require(topology(w.state).map(\.master).first { $0 != from })
        try await writeKeys(tag, count: 2_000, at: from)
        #expect(source.send(.migrate(requestID: "quit-1", tenant: tag, target: to, dryRun: false)))
        #expect(await w.until(30) { s in s.migrations.values.contains { $0.info.state == .inProgress && $0.info.drainedEntries >= 100 } })
        await w.stop()
        #expect(try await readable(tag, count: 2_000, at: from) == 2_000, "every key back at the source")
        #expect(try await LiveRedisCluster.ask(to, ["CLUSTER", "COUNTKEYSINSLOT", String(slot)]).int == 0)
        for address in [from, to] {
            let me = try #require(try await LiveRedisCluster.nodes(address).first(where: \.isMyself))
            #expect(me.migrating.isEmpty && me.importing.isEmpty, "\(address) has no mark left")
        }
        try await deleteKeys(tag, count: 2_000, at: from)
    }

    @Test("a failover from the connector is what CLUSTER NODES then says")
    func failoverFromTheConnector() async throws {
        let w = StateWatcher(source: LiveRedisCluster.source())
        defer { Task { await w.stop() } }
        #expect(await steady(w))
        let (master, replica) = try #require(topology(w.state).first)
        let candidate = try #require(replica)
        #expect(w.source.send(.promote(requestID: "fo-1", node: candidate)))
        let done = await w.until(30) { _ in w.results.contains { $0.requestID == "fo-1" && $0.status == .completed } }
        #expect(done, "\(w.results.map(\.reason))")
        let view = try await LiveRedisCluster.nodes(candidate)
        #expect(view.first(where: \.isMyself)?.isMaster == true)
        #expect(await w.until(10) { s in s.nodes[candidate]?.info.role == .primary && s.nodes[master]?.info.role == .replica })
        // Every node says the same, and the dashboard held one primary per shard throughout.
        let others = try await LiveRedisCluster.nodes(master)
        #expect(others.first { $0.address == candidate }?.isMaster == true)
        #expect(!w.state.isSplitBrain)
        #expect(!w.state.log.contains { if case .splitBrain = $0.kind { true } else { false } })
        // A master refuses: CLUSTER FAILOVER goes to a replica.
        #expect(w.source.send(.promote(requestID: "fo-2", node: candidate)))
        #expect(await w.until(5) { _ in w.results.contains { $0.requestID == "fo-2" && $0.status == .rejected } })
    }

    @Test("SIGSTOP of a master: suspect, then failed, then its replica takes over; back as a replica after SIGCONT")
    func stoppedMasterIsSuspectThenFailedThenReplaced() async throws {
        let w = StateWatcher(source: LiveRedisCluster.source())
        defer { Task { await w.stop() } }
        #expect(await steady(w))
        // Not the seed: the connector must keep seeing the cluster.
        let (master, replica) = try #require(topology(w.state).first { $0.master != LiveRedisCluster.seed })
        let heir = try #require(replica)
        let pid = try #require(LiveRedisCluster.pid(master))
        kill(pid, SIGSTOP)
        var resumed = false
        defer { if !resumed { kill(pid, SIGCONT) } }
        let takenOver = await w.until(30) { s in s.nodes[heir]?.info.role == .primary && s.nodes[master]?.info.health == .unhealthy }
        #expect(takenOver, "\(heir) took over from \(master)")
        let healths = w.events.compactMap { e -> NodeHealth? in
            if case .healthChanged(let h) = e, h.node == master { return h.to }
            return nil
        }
        let suspect = healths.firstIndex(of: .suspect)
        let failed = healths.firstIndex(of: .unhealthy)
        #expect(suspect != nil && failed != nil && (suspect ?? 0) < (failed ?? 0), "suspect before failed: \(healths)")
        let promoted = w.events.firstIndex { e in
            if case .roleChanged(let r) = e { return r.node == heir && r.to == .primary }
            return false
        }
        let failedAt = w.events.firstIndex { e in
            if case .healthChanged(let h) = e { return h.node == master && h.to == .unhealthy }
            return false
        }
        #expect(promoted != nil && failedAt != nil && (failedAt ?? 0) < (promoted ?? 0), "failed, then the takeover")
        #expect(!w.state.isSplitBrain)
        kill(pid, SIGCONT)
        resumed = true
        let back = await w.until(30) { s in s.nodes[master]?.info.role == .replica && s.nodes[master]?.info.health == .healthy }
        #expect(back, "\(master) back as a replica")
        #expect(await steady(w))
    }

    @Test("a node that refuses, one that is no cluster node (-ERR), and one that answers garbage: a status each, the data kept")
    func badEndpointsAreStatusesNotCrashes() async throws {
        let garbage = try await GarbageServer.start()
        defer { Task { await garbage.stop() } }
        var seeds = ["127.0.0.1:1", "127.0.0.1:\(garbage.port)", try #require(LiveRedisCluster.seed)]
        if let standalone = LiveRedisCluster.env["CLUSTERDASH_REDIS_PORT"] { seeds.insert("127.0.0.1:\(standalone)", at: 2) }
        let w = StateWatcher(source: LiveRedisCluster.source { $0.seeds = seeds })
        defer { Task { await w.stop() } }
        #expect(await steady(w))
        let statuses = w.source.statuses
        #expect(statuses.last?.isLive == true)
        let reasons = statuses.dropLast().compactMap { s -> String? in
            if case .backingOff(_, _, let reason) = s { return reason }
            return nil
        }
        #expect(reasons.count == seeds.count - 1, "\(statuses)")
        #expect(reasons[0].contains("refused"), "\(reasons[0])")
        #expect(reasons[1].contains("garbage"), "\(reasons[1])")
        if reasons.count > 2 { #expect(reasons[2].contains("-ERR"), "\(reasons[2])") }
        #expect(w.source.stats[1].decodeErrors > 0)
    }
}
