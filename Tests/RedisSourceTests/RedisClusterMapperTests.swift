import ClusterProtocol
import ClusterState
import EventSources
import Foundation
import RedisSource
import Testing

/// The Redis Cluster mapper on views captured from a real cluster
/// (Fixtures/): roles, shards, health from the other nodes' flags, the slot
/// table, the moves from the marks, and the divergence alarm, then through
/// `PollDiffer` into the dashboard's state.
@Suite struct RedisClusterMapperTests {
    static let addresses = (17001...17006).map { "127.0.0.1:\($0)" }

    func text(_ name: String) throws -> String {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name).txt")
        return try String(contentsOf: url, encoding: .utf8)
    }

    /// Every address answers with the fixture `name`, except those `down`.
    func observation(_ name: String, down: Set<String> = [], overrides: [String: String] = [:]) throws -> RedisClusterObservation {
        var o = RedisClusterObservation()
        let base = try ClusterNodes.parse(try text(name))
        for a in Self.addresses {
            if down.contains(a) {
                o.unreachable[a] = "no answer to CLUSTER in time"
                continue
            }
            o.views[a] = try overrides[a].map { try ClusterNodes.parse(try text($0)) } ?? base
            o.clusterInfo[a] = RedisInfo("cluster_state:ok\r\ncluster_current_epoch:8\r\n")
        }
        return o
    }

    func node(_ c: PolledCluster, _ port: Int) throws -> NodeInfo {
        try #require(c.nodes.first { $0.id == "127.0.0.1:\(port)" })
    }

    @Test func steadyMastersAreOnePrimaryPerShardWithEverySlotOnce() throws {
        var mapper = RedisClusterMapper(name: "test")
        let (c, moves) = mapper.cluster(try observation("cluster-nodes-steady"))
        #expect(moves.isEmpty)
        #expect(c.nodes.count == 6)
        #expect(Set(c.primaries) == ["127.0.0.1:17001", "127.0.0.1:17002", "127.0.0.1:17003"])
        #expect(c.nodes.allSatisfy { $0.health == .healthy })
        // A replica's shard is its master's: s1 is the shard of slot 0.
        #expect(try node(c, 17001).engine?.shard == "s1")
        #expect(try node(c, 17004).engine?.shard == "s1")
        let (n2, n5, n3, n6) = (try node(c, 17002), try node(c, 17005), try node(c, 17003), try node(c, 17006))
        #expect(n2.engine?.shard == n5.engine?.shard)
        #expect(n3.engine?.shard == n6.engine?.shard)
        #expect(try node(c, 17003).term == 3)
        let table = try #require(c.assignment)
        #expect(table.version == 1)
        #expect(table.partitions.count == HashSlot.count)
        #expect(table.partitions.map(\.id) == (0..<Int64(HashSlot.count)).map { $0 })
        #expect(table.partitions[0].worker == "127.0.0.1:17001")
        #expect(table.partitions[5461].worker == "127.0.0.1:17002")
        #expect(table.partitions[16383].worker == "127.0.0.1:17003")
        #expect(c.engine?.state == "ok")
        #expect(c.engine?.divergence == [])
        // The same views again: the same version.
        #expect(mapper.cluster(try observation("cluster-nodes-steady")).cluster.assignment?.version == 1)
    }

    @Test func aMasterSuspectedThenFailedThenReplacedIsNeverASecondPrimary() throws {
        var mapper = RedisClusterMapper(name: "test")
        var differ = PollDiffer(source: "redis/test", idPrefix: "t-")
        var state = ClusterState()
        func step(_ o: RedisClusterObservation, _ t: Int64) -> PolledCluster {
            let (c, _) = mapper.cluster(o)
            for e in differ.diff(c, at: Timestamp(millis: t)) {
                state.apply(e)
                #expect(!state.isSplitBrain, "split brain after \(e.event.type)")
            }
            return c
        }
        _ = step(try observation("cluster-nodes-steady"), 1_000)
        // 17002 stopped: the others flag it fail? (PFAIL). (17006 has taken
        // over 17003's slots in this capture: an earlier failover.)
        let pfail = step(try observation("cluster-nodes-pfail", down: ["127.0.0.1:17002", "127.0.0.1:17003"]), 2_000)
        #expect(try node(pfail, 17002).health == .suspect)
        #expect(try node(pfail, 17002).role == .primary)
        #expect(try node(pfail, 17006).role == .primary)
        #expect(try node(pfail, 17003).role == .replica)
        #expect(try node(pfail, 17006).engine?.shard == "s3", "the shard keeps its name when the replica takes over")
        // FAIL, and its replica 17005 serves its slots.
        let failed = step(try observation("cluster-nodes-failed-over", down: ["127.0.0.1:17002"]), 3_000)
        #expect(try node(failed, 17002).health == .unhealthy)
        #expect(try node(failed, 17002).role == .unknown, "a failed master with no slots is not a primary")
        #expect(try node(failed, 17005).role == .primary)
        #expect(failed.assignment?.partitions[5461].worker == "127.0.0.1:17005")
        #expect(state.nodes["127.0.0.1:17005"]?.info.role == .primary)
        #expect(state.primaries.count == 3)
        #expect(!state.hasNoPrimary)
        // The old master back, as it first says: master with no slots (not a second primary).
        let back = step(try observation("cluster-nodes-rejoined"), 4_000)
        #expect(try node(back, 17002).health == .healthy)
        #expect(state.log.contains { if case .demoted = $0.kind { true } else { false } })
    }

    @Test func migratingAndImportingMarksAreAMove() throws {
        var mapper = RedisClusterMapper(name: "test")
        let o = try observation(
            "cluster-nodes-steady",
            overrides: ["127.0.0.1:17001": "cluster-nodes-migrating-source", "127.0.0.1:17002": "cluster-nodes-migrating-target"])
        let (c, moves) = mapper.cluster(o)
        #expect(moves == [SlotMove(slot: 100, from: "127.0.0.1:17001", to: "127.0.0.1:17002")])
        #expect(c.assignment?.partitions[100].worker == "127.0.0.1:17001", "the slot is the source's until it is handed over")
    }

    /// Two views that give slot 0-5460 to two masters (and disagree on a
    /// node's role): no alarm for a moment (a hand-over settles in less), the
    /// alarm and the slots claimed twice once it lasts.
    @Test func viewsThatDisagreeForLongRaiseTheDivergenceAlarm() throws {
        let steady = try text("cluster-nodes-steady")
        // 17003's view: slots 0-5460 belong to 17002, and 17004 is a master.
        let other =
            steady
            .replacingOccurrences(of: "myself,master - 0 1796398170000 1 connected 0-5460", with: "master - 0 1796398170000 1 connected")
            .replacingOccurrences(of: "connected 5461-10922", with: "connected 0-10922")
        var o = try observation("cluster-nodes-steady")
        o.views["127.0.0.1:17003"] = try ClusterNodes.parse(other)
        var mapper = RedisClusterMapper(name: "test")
        let first = mapper.cluster(o).cluster
        #expect(first.engine?.divergence == [])
        #expect(first.assignment?.partitions.count == HashSlot.count)
        _ = mapper.cluster(o)
        let third = mapper.cluster(o).cluster
        let lines = try #require(third.engine?.divergence)
        #expect(lines.count == 1)
        #expect(lines.first?.hasPrefix("5461 slots owned differently") == true, "\(lines)")
        let table = try #require(third.assignment)
        #expect(table.partitions.count == HashSlot.count + 5461, "each disputed slot is listed under both claimants")
        #expect(table.version == 2)
        var state = ClusterState()
        var differ = PollDiffer(source: "redis/test", idPrefix: "t-")
        for e in differ.diff(third, at: Timestamp(millis: 1)) { state.apply(e) }
        #expect(state.assignment?.duplicateIDs.count == 5461)
        #expect(state.engine?.divergence == lines)
        // Agreement again: the alarm goes.
        let settled = mapper.cluster(try observation("cluster-nodes-steady")).cluster
        #expect(settled.engine?.divergence == [])
        #expect(settled.assignment?.partitions.count == HashSlot.count)
    }

    @Test func replicaLagIsBytesBehindItsMasterAndTheAckAgeApart() throws {
        var o = try observation("cluster-nodes-steady")
        o.replication["127.0.0.1:17001"] = RedisInfo(
            "# Replication\r\nrole:master\r\nconnected_slaves:1\r\nslave0:ip=127.0.0.1,port=17004,state=online,offset=1000,lag=3\r\nmaster_repl_offset:4000\r\n"
        )
        o.keys["127.0.0.1:17001"] = 42
        var mapper = RedisClusterMapper(name: "test")
        let c = mapper.cluster(o).cluster
        let replica = try node(c, 17004)
        #expect(replica.engine?.lagBytes == 3000)
        #expect(replica.engine?.lagState == .measured)
        #expect(replica.engine?.ackAgeMillis == 3000)
        #expect(try node(c, 17005).engine?.lagState == .unknown, "no INFO from its master: unknown, never 0")
        #expect(try node(c, 17001).engine?.keys == 42)
    }

    @Test func aTenantNamesItsHashTagsSlotOrASlotNumber() {
        #expect(HashSlot.named(by: "{tenant-42}") == HashSlot.of("tenant-42"))
        #expect(HashSlot.named(by: "tenant-42") == HashSlot.of("{tenant-42}:orders"))
        #expect(HashSlot.named(by: "slot 100") == 100)
        #expect(HashSlot.named(by: "slot:16383") == 16383)
        #expect(HashSlot.named(by: "slot 16384") == nil)
        #expect(HashSlot.named(by: "  ") == nil)
    }
}
