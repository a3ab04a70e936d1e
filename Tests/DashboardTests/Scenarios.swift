import ClusterProtocol
import ClusterSim
import ClusterState
import ClusterdashTesting
import Dashboard
import EventSources
import RenderCore
import Testing

let t0 = Timestamp(millis: 1_795_438_800_000)

/// A simulated cluster and a dashboard model fed with everything it says,
/// exactly as the runtime would (one batch per step), at fixed times.
struct Scene {
    var sim: SimCluster
    var model: AppModel
    /// Every envelope fed, in order (the truth rewind is checked against).
    var history: [Envelope] = []

    init(_ edit: (inout SimConfig) -> Void = { _ in }) {
        var c = SimConfig()
        c.clusterName = "prod-east"
        c.coldStartWindowMillis = 2_000
        c.seed = 3
        edit(&c)
        sim = SimCluster(config: c, start: t0)
        model = AppModel(now: t0)
        model.themes = ["default", "light"]
        feed([sim.snapshot()])
    }

    mutating func feed(_ es: [Envelope]) {
        history += es
        let items = es.map { Received(envelope: $0, endpoint: 0, receivedAt: $0.timestamp) }
        let views = [EndpointView(name: "ws://10.0.0.5:7400/v1/stream", status: .live(since: t0, lastFrameAt: sim.now))]
        _ = update(&model, .batch(Batch(items: items, dropped: 0, backlog: items.count), views, at: sim.now))
    }

    mutating func run(seconds: Double) {
        // One batch per 100 ms, like frames.
        let steps = Int(seconds * 10)
        for _ in 0..<steps { feed(sim.advance(to: sim.now.adding(millis: 100))) }
        _ = update(&model, .tick(sim.now))
    }

    mutating func inject(_ f: Fault) { feed(sim.inject(f)) }

    mutating func command(_ op: ClientOp) {
        let out = sim.handle(op, scope: .operate, requestedBy: "alice")
        feed([out.result] + out.events)
    }

    mutating func press(_ keys: Key...) -> [Effect] {
        keys.flatMap { update(&model, .key($0)) }
    }

    func screen(_ width: Int, _ height: Int, symbols: Symbols = .unicode) -> Buffer {
        var m = model
        m.size = Size(width: width, height: height)
        var b = Buffer(size: m.size)
        render(m, into: &b, symbols: symbols)
        return b
    }

    /// A healthy five-node cluster a minute into its life.
    static func healthy() -> Scene {
        var s = Scene()
        s.run(seconds: 60)
        return s
    }
}

/// A model fed one snapshot at t0, as a source's first envelope.
func modelAfter(_ snapshot: ClusterSnapshot) -> AppModel {
    var m = AppModel(now: t0)
    var stamper = EnvelopeStamper(idPrefix: "t-")
    let items = [Received(envelope: stamper.stamp(.snapshot(snapshot), from: "e/c", at: t0), endpoint: 0, receivedAt: t0)]
    _ = update(&m, .batch(Batch(items: items, dropped: 0, backlog: 1), [], at: t0))
    return m
}

let golden = GoldenScreen(slotNames: Dictionary(AppSlot.named.map { ($0.1, $0.0) }, uniquingKeysWith: { a, _ in a }))

func expectScreen(_ scene: Scene, _ name: String, _ w: Int, _ h: Int, sourceLocation: SourceLocation = #_sourceLocation) {
    let result = golden.check(scene.screen(w, h), named: name)
    #expect(result.matches, "\(result.message)", sourceLocation: sourceLocation)
}

extension Scene {
    static func wall() -> Scene {
        var s = Scene.healthy()
        s.model.wall = true
        s.model.readOnly = true
        s.model.modeBadge = "WALL"
        return s
    }

    /// Several things wrong at once: a crashed primary mid-election, a lagging
    /// follower, a degraded node, and an operator's denied promotion.
    static func incident() -> Scene {
        var s = Scene.healthy()
        s.inject(.lagSpike(node: "node-3", millis: 70_000, durationMillis: 120_000))
        s.run(seconds: 4)
        s.inject(.degrade(node: "node-4", durationMillis: nil))
        s.run(seconds: 1.5)
        s.command(.promote(requestID: "r-9", node: "node-3"))
        s.inject(.crash(node: "node-1"))
        s.run(seconds: 0.1)
        return s
    }
}
