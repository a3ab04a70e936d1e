import ClusterProtocol
import ClusterSim
import ClusterState
import ClusterdashTesting
import Dashboard
import EventSources
import RenderCore
import Testing

@Suite struct FleetTests {
    /// Three clusters: a healthy one, one in trouble, one not heard from yet.
    static func fleet() -> FleetModel {
        var f = FleetModel(now: t0)
        var healthy = Scene { $0.clusterName = "prod-west" }
        healthy.run(seconds: 60)
        let troubled = Scene.incident()
        var quiet = AppModel(now: t0)
        quiet.clusterLabel = "staging"
        // Added out of order: shown by name.
        f.add("staging", model: quiet)
        f.add("prod-west", model: healthy.model)
        f.add("prod-east", model: troubled.model)
        f.now = troubled.model.now
        return f
    }

    @Test func oneLineEachByNameAndTroubleNeverHidden() {
        let f = Self.fleet()
        #expect(f.names == ["prod-east", "prod-west", "staging"])
        // Until a key moves it, the selection is the first line, whatever was found first.
        #expect(f.selectedName == "prod-east")
        var b = Buffer(size: Size(width: 130, height: 12))
        renderFleet(f, into: &b)
        let result = golden.check(b, named: "fleet-three-clusters")
        #expect(result.matches, "\(result.message)")
        let east = fleetRow("prod-east", f.models["prod-east"] ?? AppModel(now: t0))
        #expect(east.worst == .critical)
        let west = fleetRow("prod-west", f.models["prod-west"] ?? AppModel(now: t0))
        #expect(west.worst == nil)
        #expect(west.primary.hasPrefix("node-"))
    }

    /// A source's own warning (NATS: no publisher holds the lease) is an
    /// alert on the fleet line and in the cluster's own dashboard.
    @Test func aSourceWarningIsAnAlert() {
        var s = Scene.healthy()
        var stats = EndpointStats()
        stats.warning = "no active publisher (its gateway is down?)"
        let views = [EndpointView(name: "nats://127.0.0.1:4222/prod-west", status: .live(since: t0, lastFrameAt: s.sim.now), stats: stats)]
        _ = update(&s.model, .batch(Batch(items: [Received](), dropped: 0, backlog: 0), views, at: s.sim.now))
        #expect(currentAlerts(s.model).contains { $0.severity == .warning && $0.text == "no active publisher (its gateway is down?)" })
        let row = fleetRow("prod-west", s.model)
        #expect(row.worst == .warning)
        #expect(row.alert.hasPrefix("no active publisher"))
    }

    @Test func keysMoveOpenAndQuit() {
        var f = Self.fleet()
        #expect(f.key(.char("j")) == .none)
        #expect(f.selectedName == "prod-west")
        #expect(f.key(.down) == .none)
        #expect(f.key(.down) == .none)
        #expect(f.selectedName == "staging")
        #expect(f.key(.enter) == .open("staging"))
        #expect(f.key(.char("g")) == .none)
        #expect(f.selectedName == "prod-east")
        // A cluster found later keeps the selection on its cluster.
        f.add("alpha", model: AppModel(now: t0))
        #expect(f.selectedName == "prod-east")
        #expect(f.key(.char("q")) == .quit)
        var empty = FleetModel(now: t0)
        #expect(empty.key(.enter) == .none)
        var b = Buffer(size: Size(width: 80, height: 10))
        empty.discovery = "looking for clusters on nats://127.0.0.1:4222"
        renderFleet(empty, into: &b)
        #expect(b.text.contains("looking for clusters on nats://127.0.0.1:4222"))
        // Too small a terminal says so instead of drawing over itself.
        var tiny = Buffer(size: Size(width: 20, height: 3))
        renderFleet(Self.fleet(), into: &tiny)
        #expect(tiny.text.contains("too small"))
    }

    /// The worst first, whatever its name: a cluster in trouble named last
    /// is the first line; a line chosen with a key stays chosen as the
    /// order changes under it.
    @Test func theWorstIsTheFirstLineAndTheChoiceFollowsItsCluster() {
        var f = FleetModel(now: t0)
        var healthy = Scene { $0.clusterName = "alpha" }
        healthy.run(seconds: 60)
        f.add("alpha", model: healthy.model)
        f.add("beta", model: healthy.model)
        f.add("zeta", model: Scene.incident().model)
        f.now = healthy.model.now
        #expect(f.order == ["zeta", "alpha", "beta"])
        #expect(f.selectedName == "zeta")
        var b = Buffer(size: Size(width: 130, height: 10))
        renderFleet(f, into: &b)
        let lines = b.text.split(separator: "\n").map(String.init)
        #expect(lines.firstIndex { $0.hasPrefix(" zeta") } ?? 99 < lines.firstIndex { $0.hasPrefix(" alpha") } ?? 0, "\(b.text)")
        _ = f.key(.char("j"))
        #expect(f.selectedName == "alpha")
        // zeta recovers: the order is by name again, the choice stays on alpha.
        f.models["zeta"] = healthy.model
        #expect(f.order == ["alpha", "beta", "zeta"])
        #expect(f.selectedName == "alpha" && f.selected == 0)
        #expect(f.key(.enter) == .open("alpha"))
    }

    /// `--wall --fleet`: the worst cluster's word in block letters and
    /// which cluster it is, then every line; no cluster opens, only q quits
    /// (not even q without the quit key).
    @Test func theWallFleetShowsTheWorstInBlockLettersAndOpensNothing() {
        var f = Self.fleet()
        f.wall = true
        var b = Buffer(size: Size(width: 130, height: 24))
        renderFleet(f, into: &b)
        let result = golden.check(b, named: "fleet-wall-130x24")
        #expect(result.matches, "\(result.message)")
        #expect(b.text.contains("prod-east: "))
        #expect(f.key(.enter) == .none && f.key(.char("j")) == .none && f.selectedName == "prod-east")
        #expect(f.key(.char("q")) == .quit)
        f.noQuitKey = true
        #expect(f.key(.char("q")) == .none)
    }
}
