import ClusterProtocol
import ClusterSim
import ClusterState
import Testing

let t0 = Timestamp(millis: 1_795_438_800_000)

func fastConfig(_ edit: (inout SimConfig) -> Void = { _ in }) -> SimConfig {
    var c = SimConfig()
    c.coldStartWindowMillis = 2_000
    c.plannedScaleWindowMillis = 1_000
    c.inhibitMillis = 10_000
    edit(&c)
    return c
}

/// A simulator plus a dashboard-side state fed with everything it emits.
struct Harness {
    var sim: SimCluster
    var state = ClusterState()
    var events: [Envelope] = []

    /// Like a client that subscribes at start: a snapshot first, then the stream.
    init(_ config: SimConfig = fastConfig()) {
        sim = SimCluster(config: config, start: t0)
        state.apply(sim.snapshot())
    }

    mutating func feed(_ es: [Envelope]) {
        for e in es {
            events.append(e)
            let out = state.apply(e)
            #expect(out.resync == nil, "unexpected resync \(String(describing: out.resync)) at \(e.type)")
            #expect(state.primaries.count <= 1, "two primaries after \(e.type): \(state.primaries)")
        }
    }

    mutating func run(seconds: Double) {
        feed(sim.advance(to: sim.now.adding(millis: Int64(seconds * 1000))))
    }

    mutating func inject(_ f: Fault) { feed(sim.inject(f)) }

    mutating func command(_ op: ClientOp, scope: TokenScope = .operate) -> CommandResult? {
        let out = sim.handle(op, scope: scope, requestedBy: "tester")
        feed([out.result] + out.events)
        if case .commandResult(let r) = out.result.event { return r }
        return nil
    }

    var types: [String] { events.map(\.type) }
}
