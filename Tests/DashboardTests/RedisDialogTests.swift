import ClusterProtocol
import ClusterState
import EventSources
import RedisRules
import RenderCore
import Testing

@testable import Dashboard

/// The dialogs on a Redis Cluster: a tenant is typed (a hash tag or slot N)
/// and its slot and owner shown as it is typed; a failover whose master is
/// down is FORCE or, on `t`, TAKEOVER, each spelled out, and sent as such.
@Suite struct RedisDialogTests {
    static let masters = ["127.0.0.1:7001", "127.0.0.1:7002"]

    func model(firstMaster health: NodeHealth) -> AppModel {
        var m = AppModel(now: t0)
        let engine = EngineClusterInfo(
            name: "redis-cluster", lagUnit: "bytes", accepts: ["promote", "migrate", "cancel_migration"],
            provides: ["roles", "lag", "assignments", "migrations"], state: "ok")
        func node(_ id: String, _ role: NodeRole, _ health: NodeHealth, _ shard: String) -> NodeInfo {
            NodeInfo(
                id: id, address: id, role: role, health: health, term: 1,
                engine: EngineNodeInfo(role: role == .primary ? "master" : "replica", state: "connected", shard: shard))
        }
        let nodes = [
            node(Self.masters[0], .primary, health, "s1"), node(Self.masters[1], .primary, .healthy, "s2"),
            node("127.0.0.1:7003", .replica, .healthy, "s1"), node("127.0.0.1:7004", .replica, .healthy, "s2"),
        ]
        let parts = (0..<HashSlot.count).map { PartitionAssignment(id: Int64($0), worker: Self.masters[$0 < 8192 ? 0 : 1]) }
        let snapshot = ClusterSnapshot(
            cluster: "cache", term: 1, leader: nil, nodes: nodes,
            assignment: AssignmentTable(version: 1, strategy: .other("hash_slots"), partitions: parts), seqs: ["redis/cache": 1],
            engine: engine)
        var stamper = EnvelopeStamper(idPrefix: "t-")
        let es = [
            stamper.stamp(.snapshot(snapshot), from: "redis/cache", at: t0),
            stamper.stamp(
                .replicationLagBytes(ReplicationLagBytes(follower: "127.0.0.1:7003", leader: Self.masters[0], lagBytes: 0, state: .measured)),
                from: "redis/cache", at: t0),
        ]
        let items = es.map { Received(envelope: $0, endpoint: 0, receivedAt: t0) }
        _ = update(&m, .batch(Batch(items: items, dropped: 0, backlog: items.count), [], at: t0))
        return m
    }

    func press(_ m: inout AppModel, _ keys: Key...) -> [Effect] { keys.flatMap { update(&m, .key($0)) } }

    func screen(_ m: AppModel) -> String {
        var m = m
        m.size = Size(width: 120, height: 40)
        var b = Buffer(size: m.size)
        render(m, into: &b, symbols: .unicode)
        return b.text
    }

    /// Opens the promote dialog on 127.0.0.1:7003 (the replica of the first master).
    func promoteDialog(_ m: inout AppModel) throws {
        _ = press(&m, .char("p"))
        guard case .promote(let d) = m.overlay else {
            Issue.record("no promote dialog")
            return
        }
        let i = try #require(d.candidates.firstIndex(of: "127.0.0.1:7003"))
        for _ in 0..<i { _ = press(&m, .char("j")) }
    }

    @Test func aReplicaOfADeadMasterIsForcedOrTakenOverAsChosen() throws {
        var m = model(firstMaster: .unhealthy)
        try promoteDialog(&m)
        let text = screen(m)
        #expect(text.contains("FORCE: no handshake with the dead master"))
        #expect(text.contains("TAKEOVER: no vote at all"))
        var taken = m
        _ = press(&taken, .char("t"))
        guard case .send(.promote(_, "127.0.0.1:7003", let mode))? = press(&taken, .char("y")).first else {
            Issue.record("nothing sent")
            return
        }
        #expect(mode == "takeover")
        guard case .send(.promote(_, _, let forced))? = press(&m, .char("y")).first else {
            Issue.record("nothing sent")
            return
        }
        #expect(forced == "force")
    }

    @Test func aReplicaOfALiveMasterIsAPlainFailoverAndTakeoverIsNotOffered() throws {
        var m = model(firstMaster: .healthy)
        try promoteDialog(&m)
        #expect(!screen(m).contains("TAKEOVER"))
        _ = press(&m, .char("t"))
        guard case .promote(let d) = m.overlay else { return }
        #expect(!d.alternateMode)
        guard case .send(.promote(_, "127.0.0.1:7003", let mode))? = press(&m, .char("y")).first else {
            Issue.record("nothing sent")
            return
        }
        #expect(mode == nil)
    }

    @Test func aTenantIsTypedAndItsSlotAndOwnerShownThenMovedToTheChosenMaster() {
        var m = model(firstMaster: .healthy)
        _ = press(&m, .char("m"))
        for c in "{tenant-42}" { _ = press(&m, .char(c)) }
        let slot = HashSlot.of("{tenant-42}")
        let owner = Self.masters[slot < 8192 ? 0 : 1]
        #expect(screen(m).contains("slot \(slot), now on \(owner)"))
        _ = press(&m, .enter)
        #expect(screen(m).contains("2. Target master for {tenant-42} (now on \(owner))"))
        _ = press(&m, .tab)
        #expect(screen(m).contains("clients get ASK meanwhile"))
        let target = Self.masters.first { $0 != owner }
        guard case .send(.migrate(_, "{tenant-42}", let to, false))? = press(&m, .char("y")).first else {
            Issue.record("nothing sent")
            return
        }
        #expect(to == target, "the first master that is not the owner is offered first")
        // A slot number is a tenant too; nonsense is refused in place.
        var n = model(firstMaster: .healthy)
        _ = press(&n, .char("m"))
        for c in "slot 99999" { _ = press(&n, .char(c)) }
        _ = press(&n, .enter)
        guard case .migrate(let d) = n.overlay else { return }
        #expect(d.phase == .tenant)
    }

    /// `m` in the partition table of an engine whose tenants move (not its
    /// partitions by name) says where moving is done, not that it is not.
    @Test func mInThePartitionTableSaysTenantsMoveFromTheDashboard() {
        var m = model(firstMaster: .healthy)
        m.focus = .assignments
        _ = press(&m, .enter, .char("m"))
        #expect(m.message == "m moves a tenant from the dashboard: Esc, then m")
        guard case .partitions = m.overlay else {
            Issue.record("the partition table closed")
            return
        }
    }
}
