import ClusterProtocol
import ClusterSim
import EventSources
import ProtocolV1Server

/// The simulator served: a `StreamCore` whose engine is the simulated cluster.
public typealias SimulatorCore = StreamCore<SimCluster>

extension SimCluster: ServedEngine {
    public mutating func snapshot(covering: Set<String>?, source: String?) -> Envelope? {
        let snap: Envelope = snapshot(covering: covering, source: source)
        return snap
    }

    public mutating func handle(_ op: ClientOp, scope: TokenScope, requestedBy: String) -> CommandHandling {
        let outcome: CommandOutcome = handle(op, scope: scope, requestedBy: requestedBy)
        return .now(result: outcome.result, events: outcome.events)
    }

    public func observe(_ e: Envelope) {}
}

extension StreamCore where Engine == SimCluster {
    public init(config: SimConfig, start: Timestamp, ringCapacity: Int = 10_000, maxQueuedBatches: Int = 20_000) {
        self.init(engine: SimCluster(config: config, start: start), ringCapacity: ringCapacity, maxQueuedBatches: maxQueuedBatches)
    }

    public var now: Timestamp { engine.now }
    public var config: SimConfig { engine.config }

    /// The engine's current snapshot (for tests and the embedded demo).
    public func snapshot() -> Envelope { engine.snapshot() }

    // MARK: Time and faults

    /// Moves simulated time to `t` and sends what happened.
    public func advance(to t: Timestamp) {
        broadcast(engine.advance(to: t))
    }

    /// Moves simulated time forward by `millis` (tests drive time this way).
    public func advance(byMillis millis: Int64) {
        advance(to: engine.now.adding(millis: millis))
    }

    public func inject(_ fault: Fault) {
        broadcast(engine.inject(fault))
    }

    public func schedule(_ fault: Fault, at t: Timestamp) {
        engine.inject(fault, at: t)
    }
}
