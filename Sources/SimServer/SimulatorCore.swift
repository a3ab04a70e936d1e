import ClusterProtocol
import ClusterSim
import EventSources
import Foundation

/// Why the server ends a subscription.
public enum SubscriptionEnd: Sendable, Equatable {
    /// The client fell too far behind; it reconnects and resumes.
    case tooSlow
    /// The node behind this endpoint crashed.
    case nodeCrashed
    /// The server is stopping.
    case shutdown
}

/// The simulator's shared state: the engine, the replay hub and the
/// subscribers. Every connection goes through this actor, so events reach
/// every subscriber in one order.
public actor SimulatorCore {
    public struct Stats: Sendable, Equatable {
        /// Client frames received, of any kind.
        public var framesReceived = 0
        /// Command frames (promote, migrate, cancel_migration) received.
        public var commandsReceived = 0
        public var subscriptions = 0
        public var snapshotsSent = 0
        public var replays = 0
        public var eventsBroadcast = 0
        public var droppedSlowSubscribers = 0
    }

    struct Subscriber {
        var covering: Set<String>?
        var continuation: AsyncStream<[String]>.Continuation
        var end: SubscriptionEnd?
    }

    private var engine: SimCluster
    private var hub: StreamHub
    private var subscribers: [Int: Subscriber] = [:]
    private var nextID = 0
    public private(set) var stats = Stats()
    /// Crashed nodes, readable from any thread (the per-node listeners' gate).
    nonisolated let downNodes = DownNodes()
    /// Batches a subscriber may have queued before it counts as too slow.
    public let maxQueuedBatches: Int

    public init(config: SimConfig, start: Timestamp, ringCapacity: Int = 10_000, maxQueuedBatches: Int = 20_000) {
        engine = SimCluster(config: config, start: start)
        hub = StreamHub(capacityPerSource: ringCapacity)
        self.maxQueuedBatches = maxQueuedBatches
    }

    public var now: Timestamp { engine.now }
    public var config: SimConfig { engine.config }
    public var nodeIDs: [String] { engine.nodeIDs }
    public var seqs: [String: Int64] { engine.seqs }
    public func isAlive(_ node: String) -> Bool { engine.isAlive(node) }
    public var primary: String? { engine.primary }
    /// Subscriptions this server is serving now (a client's `subscribe` was
    /// handled and it has not gone).
    public var activeSubscriptions: Int { subscribers.values.count(where: { $0.end == nil }) }

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

    // MARK: Subscriptions

    /// Registers a subscriber. Its stream starts with a replay of what it
    /// missed (when `resume` can be honoured) or a snapshot, then live events.
    public func subscribe(resume: [String: Int64]?, covering: Set<String>?, snapshotSource: String? = nil) -> (
        id: Int, stream: AsyncStream<[String]>
    ) {
        nextID += 1
        let id = nextID
        let (stream, continuation) = AsyncStream<[String]>.makeStream(bufferingPolicy: .bufferingOldest(maxQueuedBatches))
        subscribers[id] = Subscriber(covering: covering, continuation: continuation)
        stats.subscriptions += 1
        // A per-node endpoint whose node went down between upgrade and subscribe.
        if let covering, covering.count == 1, let node = covering.first, downNodes.contains(node) {
            subscribers[id]?.end = .nodeCrashed
            continuation.finish()
            return (id, stream)
        }
        if let resume, let missed = hub.replay(after: resume, covering: covering) {
            stats.replays += 1
            continuation.yield(missed.map(\.text))
        } else {
            sendSnapshot(to: id, source: snapshotSource)
        }
        return (id, stream)
    }

    public func unsubscribe(_ id: Int) {
        subscribers[id]?.continuation.finish()
        subscribers[id] = nil
    }

    /// Why a subscription ended (nil while it runs or after a normal close).
    public func endReason(_ id: Int) -> SubscriptionEnd? { subscribers[id]?.end }

    public func sendSnapshot(to id: Int, source: String? = nil) {
        guard let s = subscribers[id] else { return }
        let snap = engine.snapshot(covering: s.covering, source: source)
        stats.snapshotsSent += 1
        deliver([EnvelopeCodec.encodeString(snap)], to: id)
    }

    /// Counts a client frame (the read-only proof of issue 6 rests on this).
    public func received(isCommand: Bool) {
        stats.framesReceived += 1
        if isCommand { stats.commandsReceived += 1 }
    }

    /// Runs a command for subscriber `id`: its result goes to that subscriber
    /// alone, ahead of the events everyone sees.
    public func command(_ op: ClientOp, scope: TokenScope, from id: Int, requestedBy: String) {
        let outcome = engine.handle(op, scope: scope, requestedBy: requestedBy)
        deliver([EnvelopeCodec.encodeString(outcome.result)], to: id)
        broadcast(outcome.events)
    }

    /// The `command.result` for a frame that could not be read as an op.
    public func invalidRequest(requestID: String?, op: String?) -> String {
        EnvelopeCodec.encodeString(engine.invalidRequest(requestID: requestID, op: op))
    }

    public func deliverInvalid(requestID: String?, op: String?, to id: Int) {
        deliver([invalidRequest(requestID: requestID, op: op)], to: id)
    }

    /// Ends every subscription of a per-node endpoint (its node crashed).
    public func endSubscriptions(covering node: String, reason: SubscriptionEnd) {
        for (id, s) in subscribers where s.covering == [node] {
            subscribers[id]?.end = reason
            s.continuation.finish()
        }
    }

    /// Accepts subscribers again after `endAll` (a restarted listener).
    public func reopen() {
        subscribers = subscribers.filter { $0.value.end == nil }
    }

    public func endAll(reason: SubscriptionEnd) {
        for (id, s) in subscribers {
            subscribers[id]?.end = reason
            s.continuation.finish()
        }
    }

    // MARK: Delivery

    private func deliver(_ batch: [String], to id: Int) {
        guard let s = subscribers[id], s.end == nil else { return }
        if case .dropped = s.continuation.yield(batch) {
            dropSlow(id)
        }
    }

    private func dropSlow(_ id: Int) {
        stats.droppedSlowSubscribers += 1
        subscribers[id]?.end = .tooSlow
        subscribers[id]?.continuation.finish()
    }

    private func broadcast(_ events: [Envelope]) {
        guard !events.isEmpty else { return }
        stats.eventsBroadcast += events.count
        var all: [String] = []
        all.reserveCapacity(events.count)
        var bySource: [String: [String]] = [:]
        let perNode = subscribers.values.contains { $0.covering != nil }
        var crashed: [String] = []
        for e in events {
            let text = hub.record(e).text
            all.append(text)
            if perNode { bySource[e.source, default: []].append(text) }
            if case .nodeLeft(let d) = e.event, d.reason == .crashed {
                crashed.append(d.node)
                downNodes.insert(d.node)
            }
            if case .nodeJoined(let d) = e.event { downNodes.remove(d.node.id) }
        }
        for (id, s) in subscribers where s.end == nil {
            let batch: [String]
            if let covering = s.covering {
                batch = covering.flatMap { bySource[$0] ?? [] }
                if batch.isEmpty { continue }
            } else {
                batch = all
            }
            if case .dropped = s.continuation.yield(batch) { dropSlow(id) }
        }
        for node in crashed { endSubscriptions(covering: node, reason: .nodeCrashed) }
    }
}
