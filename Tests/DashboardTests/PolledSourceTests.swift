import ClusterProtocol
import ClusterState
import ClusterdashTesting
import Dashboard
import EventSources
import RenderCore
import Testing

/// A fake polling source: a test double that produces engine states (as a
/// Patroni or Sentinel poll would) and diffs them into events with the real
/// `PollDiffer`, driving the dashboard exactly as an engine source will. It
/// provides roles and lag only: no assignments, no migrations, no commands
/// but promotion.
struct PolledScene {
    var differ = PollDiffer(source: "patroni-demo", idPrefix: "poll-")
    var model: AppModel
    var now = t0

    /// `provides`: what the source says it provides (a protocol-v1 source,
    /// such as a gateway's, provides everything v1 can carry).
    init(provides: SourceCapabilities = [.roles, .lag, .promote]) {
        var setup = DashboardSetup()
        setup.provides = provides
        setup.clusterLabel = "pg-demo"
        model = AppModel(now: t0, setup: setup)
    }

    static func node(_ id: String, _ role: NodeRole, _ health: NodeHealth = .healthy, lag: Int64? = nil, term: Int64 = 3) -> NodeInfo {
        NodeInfo(id: id, address: "127.0.0.1:\(5432 + Int(id.suffix(1))!)", region: "local", role: role, health: health, term: term, lagMillis: lag)
    }

    /// One poll, two seconds after the last.
    mutating func poll(_ nodes: [NodeInfo], term: Int64 = 3, engine: EngineClusterInfo? = nil) {
        now = now.adding(millis: 2_000)
        let es = differ.diff(PolledCluster(name: "pg-demo", term: term, nodes: nodes, engine: engine), at: now)
        let items = es.map { Received(envelope: $0, endpoint: 0, receivedAt: now) }
        let views = [EndpointView(name: "patroni http://127.0.0.1:8008", status: .live(since: t0, lastFrameAt: now))]
        _ = update(&model, .batch(Batch(items: items, dropped: 0, backlog: 0), views, at: now))
    }

    func screen(_ w: Int, _ h: Int) -> Buffer {
        var m = model
        m.size = Size(width: w, height: h)
        var b = Buffer(size: m.size)
        render(m, into: &b)
        return b
    }
}

@Suite struct PolledSourceTests {
    @Test func behindAGatewayTheEngineSaysWhatItLacksAndHowItIsFed() {
        var s = PolledScene(provides: .all)
        var engine = EngineClusterInfo(name: "patroni", lagUnit: "bytes", feed: "polling", accepts: ["promote"], provides: ["roles", "lag"])
        let nodes = [PolledScene.node("pg1", .primary), PolledScene.node("pg2", .replica)]
        s.poll(nodes, engine: engine)
        var text = s.screen(140, 40).text
        #expect(text.contains("this cluster's source reports no partition assignments"), "the engine object says so, not the source")
        #expect(text.contains("patroni (polling)"))
        #expect(s.screen(120, 40).text.contains("patroni  primary pg1"), "narrower, the engine's name alone")
        #expect(!text.contains("PAUSED"))
        var m = s.model
        _ = update(&m, .key(.char("m")))
        #expect(m.message == "this cluster's source accepts no migration")
        engine.feed = "etcd watch"
        engine.paused = true
        s.poll(nodes, engine: engine)
        text = s.screen(140, 40).text
        #expect(text.contains("patroni (etcd watch)"))
        #expect(text.contains(" PAUSED "))
        // A v1 source with no engine object is taken at its word, but for
        // an extension's command (`step_down`), which only an engine that
        // says so takes.
        let plain = PolledScene(provides: .all)
        #expect(plain.model.capabilities == SourceCapabilities.all.subtracting(.stepDown))
    }

    @Test func pollsDiffIntoEventsAndTheScreenSaysWhatTheSourceLacks() {
        var s = PolledScene()
        s.poll([PolledScene.node("pg1", .primary), PolledScene.node("pg2", .replica, lag: 120), PolledScene.node("pg3", .replica, lag: 80)])
        #expect(s.model.state.primaries == ["pg1"])
        for _ in 0..<5 {
            s.poll([PolledScene.node("pg1", .primary), PolledScene.node("pg2", .replica, lag: 150), PolledScene.node("pg3", .replica, lag: 90)])
        }
        // The primary fails; Patroni promotes pg2 in term 4.
        s.poll([
            PolledScene.node("pg1", .unknown, .unhealthy), PolledScene.node("pg2", .replica, lag: 150), PolledScene.node("pg3", .replica, lag: 90),
        ])
        #expect(s.model.state.hasNoPrimary)
        s.poll(
            [
                PolledScene.node("pg1", .unknown, .unhealthy), PolledScene.node("pg2", .primary, term: 4),
                PolledScene.node("pg3", .replica, lag: 300, term: 4),
            ], term: 4)
        #expect(s.model.state.primaries == ["pg2"])
        #expect(s.model.state.term == 4)
        #expect(s.model.state.counters.gaps == 0, "the differ's seqs are contiguous")
        let text = s.screen(120, 40).text
        #expect(text.contains("this cluster's source reports no partition assignments"))
        #expect(text.contains("this cluster's source reports no tenant migrations"))
        #expect(!text.contains(" m migrate"), "commands the source does not accept are not offered")
        let result = golden.check(s.screen(120, 40), named: "polled-failover-120x40")
        #expect(result.matches, "\(result.message)")
        #expect(s.model.state.log.contains { $0.kind == .leaderElected(term: 4, leader: "pg2") })
        var m = s.model
        _ = update(&m, .key(.char("m")))
        #expect(m.message == "this cluster's source accepts no migration")
        #expect(m.overlay == nil)
    }
}
