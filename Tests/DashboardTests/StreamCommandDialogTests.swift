import ClusterProtocol
import ClusterState
import EventSources
import RenderCore
import Testing

@testable import Dashboard

/// The commands on one NATS stream from the partition table: `p` steps the
/// selected stream's leader down behind a dialog with the engine's checks,
/// `m` moves it to the servers of a placement tag; each is sent only
/// where the source takes it, never read-only.
@Suite struct StreamCommandDialogTests {
    func model(accepts: [String] = ["promote", "step_down", "migrate"], leaderHealth: NodeHealth = .healthy) -> AppModel {
        let engine = EngineClusterInfo(
            name: "nats", lagUnit: "raft entries", accepts: accepts, provides: ["roles", "lag", "assignments", "migrations"],
            quorum: 2, witnesses: 3, sentinels: 3)
        func server(_ n: Int, _ role: NodeRole, _ health: NodeHealth) -> NodeInfo {
            NodeInfo(
                id: "n\(n)", role: role, health: health, term: 1,
                engine: EngineNodeInfo(
                    role: role == .primary ? "meta leader" : "follower", state: health == .healthy ? "running" : "no answer (since 12:00:00)",
                    tags: [JSONField("az:\(n)", .bool(true)), JSONField("version", .string("2.9.10"))]))
        }
        let parts = [
            PartitionAssignment(id: 0, worker: "n2", name: "EVENTS"), PartitionAssignment(id: 1, worker: "n1", name: "ORDERS"),
            PartitionAssignment(id: 2, worker: "n1", name: "SCRATCH"),
        ]
        let snapshot = ClusterSnapshot(
            cluster: "nats-cd", term: 1, leader: "n2",
            nodes: [server(1, .replica, leaderHealth), server(2, .primary, .healthy), server(3, .replica, .healthy)],
            assignment: AssignmentTable(version: 1, strategy: .other("streams"), partitions: parts), seqs: ["e/c": 1], engine: engine)
        return modelAfter(snapshot)
    }

    func press(_ m: inout AppModel, _ keys: Key...) -> [Effect] { keys.flatMap { update(&m, .key($0)) } }

    func screen(_ m: AppModel) -> Buffer {
        var m = m
        m.size = Size(width: 120, height: 40)
        var b = Buffer(size: m.size)
        render(m, into: &b, symbols: .unicode)
        return b
    }

    /// The partition table with ORDERS selected.
    func ordersSelected(_ m: inout AppModel) {
        m.focus = .assignments
        _ = press(&m, .enter, .char("j"))
    }

    @Test func pOnAStreamShowsTheChecksThenSendsItsStepDown() {
        var m = model()
        ordersSelected(&m)
        #expect(screen(m).text.contains("p steps its leader down, m moves it"))
        _ = press(&m, .char("p"))
        guard case .stepDown(let d) = m.overlay else {
            Issue.record("no step-down dialog: \(String(describing: m.overlay))")
            return
        }
        #expect(d.partition == 1 && d.name == "ORDERS" && d.leader == "n1")
        let result = golden.check(screen(m), named: "nats-step-down-120x40")
        #expect(result.matches, "\(result.message)")
        let effects = press(&m, .char("y"))
        guard case .send(.stepDown(let id, 1))? = effects.first else {
            Issue.record("nothing sent: \(effects)")
            return
        }
        #expect(m.operatorActions.last?.op == "step_down" && m.operatorActions.last?.requestID == id)
        #expect(effects.contains { if case .audit = $0 { true } else { false } })
        #expect(screen(m).text.contains("result: pending..."))
        // The answer reaches the dialog; the leader it was sent for stays named.
        var stamper = EnvelopeStamper(idPrefix: "r-")
        let answer = stamper.stamp(
            .commandResult(CommandResult(requestID: id, op: "step_down", status: .completed, reason: "n1 stepped down")), from: "e/c",
            at: t0, correlation: id)
        _ = update(&m, .batch(Batch(items: [Received(envelope: answer, endpoint: 0, receivedAt: t0)], dropped: 0, backlog: 1), [], at: t0))
        let text = screen(m).text
        #expect(text.contains("result: completed (n1 stepped down)") && text.contains("ORDERS: its leader n1 steps down"), "\(text)")
    }

    @Test func aStepDownWhoseLeaderIsDownIsNotSent() {
        var m = model(leaderHealth: .unhealthy)
        ordersSelected(&m)
        _ = press(&m, .char("p"))
        #expect(screen(m).text.contains("not possible now"))
        #expect(press(&m, .char("y")).isEmpty)
        #expect(m.message?.hasPrefix("not sent: n1 is no answer") == true, "\(m.message ?? "")")
    }

    @Test func noStepDownWhereTheSourceDoesNotTakeItOrReadOnly() {
        var m = model(accepts: ["promote"])
        ordersSelected(&m)
        _ = press(&m, .char("p"))
        #expect(m.overlay.map { if case .partitions = $0 { true } else { false } } == true)
        #expect(m.message == "this cluster's source accepts no partition leader step-down")
        var r = model()
        r.readOnly = true
        ordersSelected(&r)
        #expect(!screen(r).text.contains("p steps its leader down"))
        _ = press(&r, .char("p"), .char("m"))
        #expect(r.message == "read-only: commands are disabled")
    }

    @Test func mOnAStreamMovesItToThePlacementTagChosen() {
        var m = model()
        ordersSelected(&m)
        _ = press(&m, .char("m"))
        guard case .migrate(let d) = m.overlay else {
            Issue.record("no move dialog")
            return
        }
        #expect(d.named && d.tenants == ["EVENTS", "ORDERS", "SCRATCH"] && d.regions == ["az:1", "az:2", "az:3"])
        #expect(screen(m).text.contains("2. Placement tag for ORDERS (led by n1):"))
        #expect(screen(m).text.contains("az:1  (current)") && d.regionIndex == 1, "the first tag its leader does not carry is offered first")
        _ = press(&m, .tab)
        let result = golden.check(screen(m), named: "nats-move-confirm-120x40")
        #expect(result.matches, "\(result.message)")
        guard case .send(.migrate(_, "ORDERS", "az:2", false))? = press(&m, .char("y")).first else {
            Issue.record("nothing sent")
            return
        }
        // From the dashboard (not the table), the stream is chosen first.
        var n = model()
        _ = press(&n, .char("m"))
        guard case .migrate(let e) = n.overlay else { return }
        #expect(e.phase == .tenant && e.named)
        #expect(screen(n).text.contains("1. Stream (j/k, Enter):"))
    }
}
