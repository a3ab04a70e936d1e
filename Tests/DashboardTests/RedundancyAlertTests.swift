import ClusterProtocol
import ClusterState
import EventSources
import RedisRules
import Testing

@testable import Dashboard

/// What an on-call engineer must not miss (issue 23): a member that was part
/// of the cluster and is gone, and where one more failure would lose data
/// or quorum, each engine in its own words.
@Suite struct RedundancyAlertTests {
    func model(engine: EngineClusterInfo, nodes: [NodeInfo], assignment: AssignmentTable? = nil) -> AppModel {
        modelAfter(
            ClusterSnapshot(cluster: "c", term: 1, leader: nil, nodes: nodes, assignment: assignment, seqs: ["e/c": 1], engine: engine)
        )
    }

    func node(_ id: String, _ role: NodeRole, _ health: NodeHealth = .healthy, state: String, shard: String? = nil) -> NodeInfo {
        NodeInfo(id: id, address: id, role: role, health: health, term: 1, engine: EngineNodeInfo(role: nil, state: state, shard: shard))
    }

    func texts(_ m: AppModel) -> [String] { currentAlerts(m).map(\.text) }

    @Test func aRedisShardWithoutAReplicaNamesTheSlotsOneMoreFailureLoses() {
        let engine = EngineClusterInfo(name: "redis-cluster", lagUnit: "bytes", state: "ok")
        let parts = (0..<HashSlot.count).map { PartitionAssignment(id: Int64($0), worker: $0 < 5461 ? "m1" : "m2") }
        let table = AssignmentTable(version: 1, strategy: .other("hash_slots"), partitions: parts)
        let healthy = model(
            engine: engine,
            nodes: [
                node("m1", .primary, state: "connected", shard: "s1"), node("m2", .primary, state: "connected", shard: "s2"),
                node("r1", .replica, state: "connected", shard: "s1"), node("r2", .replica, state: "connected", shard: "s2"),
            ], assignment: table)
        #expect(!texts(healthy).contains { $0.hasPrefix("redundancy lost") })
        let taken = model(
            engine: engine,
            nodes: [
                node("m1", .primary, state: "connected", shard: "s1"), node("m2", .primary, state: "connected", shard: "s2"),
                node("r1", .replica, state: "connected", shard: "s1"),
            ], assignment: table)
        #expect(texts(taken).contains("redundancy lost: shard s2 (m2) has no replica: one more failure loses slots 5461-16383"), "\(texts(taken))")
    }

    @Test func aPatroniLeaderWithNoHealthyReplicaIsRedundancyLost() {
        let engine = EngineClusterInfo(name: "patroni", lagUnit: "bytes")
        let ok = model(engine: engine, nodes: [node("pg1", .primary, state: "running"), node("pg2", .replica, state: "streaming")])
        #expect(!texts(ok).contains { $0.hasPrefix("redundancy lost") })
        let alone = model(engine: engine, nodes: [node("pg1", .primary, state: "running"), node("pg2", .replica, .unhealthy, state: "stopped")])
        #expect(texts(alone).contains { $0.hasPrefix("redundancy lost: no healthy replica of pg1") }, "\(texts(alone))")
    }

    @Test func sentinelsAtExactlyTheQuorumAndNoReplicaAreRedundancyLost() {
        let engine = EngineClusterInfo(name: "redis-sentinel", lagUnit: "bytes", quorum: 2, witnesses: 2, sentinels: 3)
        let m = model(engine: engine, nodes: [node("127.0.0.1:16380", .primary, state: "ok")])
        let t = texts(m)
        #expect(t.contains { $0.hasPrefix("redundancy lost: no healthy replica of 127.0.0.1:16380") }, "\(t)")
        #expect(t.contains { $0.contains("2 of 3 sentinels see the master, exactly the quorum") }, "\(t)")
    }

    @Test func aMemberThatLeftIsLostUntilItComesBack() {
        var s = Scene.healthy()
        let replica = s.model.state.followers.keys.sorted().first ?? "node-2"
        #expect(!texts(s.model).contains { $0.hasPrefix("member lost") })
        s.inject(.crash(node: replica))
        s.run(seconds: 5)
        #expect(texts(s.model).contains { $0.hasPrefix("member lost: \(replica) crashed") }, "\(texts(s.model))")
        s.inject(.restart(node: replica))
        s.run(seconds: 10)
        #expect(!texts(s.model).contains { $0.hasPrefix("member lost: \(replica)") }, "\(texts(s.model))")
    }

    @Test func anAcknowledgedLostMemberIsListedAsInformationNotAnAlarm() {
        var s = Scene.healthy()
        let replica = s.model.state.followers.keys.sorted().first ?? "node-2"
        s.inject(.crash(node: replica))
        s.run(seconds: 5)
        func lost() -> Alert? { currentAlerts(s.model).first { $0.key == "member-lost:\(replica)" } }
        #expect(lost()?.severity == .critical)
        _ = acknowledgeAlerts(&s.model)
        s.run(seconds: 5)
        let acknowledged = lost()
        #expect(acknowledged?.severity == .info, "\(String(describing: acknowledged))")
        #expect(acknowledged?.ack?.by == s.model.operatorName)
        #expect(listedAlerts(s.model).contains { $0.key == "member-lost:\(replica)" })
    }
}
