import ClusterProtocol
import ClusterState
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

/// What a command from a subscriber came to.
public enum CommandHandling: Sendable {
    /// Its `command.result` (for the sender alone) and the events it caused
    /// (for everyone), now.
    case now(result: Envelope, events: [Envelope])
    /// Its result comes later through the engine's stream, with the op's
    /// request id (a connector waiting for the engine's answer).
    case later(requestID: String)
}

/// What a protocol-v1 server serves: the simulator, or a connector's stream
/// relayed by the gateway. The `StreamCore` does the rest the same way for
/// both: subscribers, resume from the replay hub, snapshots, delivery, and
/// command results to the connection that sent the command.
public protocol ServedEngine: Sendable {
    /// Member ids (the per-node listeners').
    var nodeIDs: [String] { get }
    func isAlive(_ node: String) -> Bool
    /// The last seq of every source served.
    var seqs: [String: Int64] { get }
    /// The primary now, if one is known.
    var primary: String? { get }
    /// What a subscriber that cannot resume starts from, covering only
    /// `covering` (nil: every source) and sent as `source`'s; nil while the
    /// engine knows nothing yet (the subscriber gets the first snapshot
    /// broadcast instead).
    mutating func snapshot(covering: Set<String>?, source: String?) -> Envelope?
    /// A client's command.
    mutating func handle(_ op: ClientOp, scope: TokenScope, requestedBy: String) -> CommandHandling
    /// The `command.result` for a frame that could not be read as an op.
    mutating func invalidRequest(requestID: String?, op: String?) -> Envelope
    /// Sees every envelope as it is broadcast (a relay keeps its state so).
    mutating func observe(_ e: Envelope)
}

/// The server's shared state: the engine, the replay hub and the
/// subscribers. Every connection goes through this actor, so events reach
/// every subscriber in one order.
public actor StreamCore<Engine: ServedEngine> {
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
        /// Command results, by status (`accepted` and each later answer of
        /// a long command counted too; a status the protocol does not name
        /// counts as `other`, so the keys stay few).
        public var commandResults: [String: Int] = [:]

        mutating func countResult(_ status: CommandStatus) {
            let key = if case .other = status { "other" } else { status.wire }
            commandResults[key, default: 0] += 1
        }
    }

    struct Subscriber {
        var covering: Set<String>?
        var continuation: AsyncStream<[String]>.Continuation
        var end: SubscriptionEnd?
    }

    package var engine: Engine
    private var hub: StreamHub
    private var subscribers: [Int: Subscriber] = [:]
    private var nextID = 0
    /// Commands whose result comes later: request id -> the subscriber that sent it.
    private var awaiting: BoundedDictionary<String, Int>
    /// Results that came later, by request id: a command sent again gets
    /// the answer the first one got (the work is done once).
    private var answered: BoundedDictionary<String, String>
    public private(set) var stats = Stats()
    /// Crashed nodes, readable from any thread (the per-node listeners' gate).
    nonisolated let downNodes = DownNodes()
    /// Batches a subscriber may have queued before it counts as too slow.
    public let maxQueuedBatches: Int

    public init(engine: Engine, ringCapacity: Int = 10_000, maxQueuedBatches: Int = 20_000) {
        self.engine = engine
        hub = StreamHub(capacityPerSource: ringCapacity)
        awaiting = BoundedDictionary(capacity: 1_000)
        answered = BoundedDictionary(capacity: 1_000)
        self.maxQueuedBatches = maxQueuedBatches
    }

    public var nodeIDs: [String] { engine.nodeIDs }
    public func isAlive(_ node: String) -> Bool { engine.isAlive(node) }
    public var seqs: [String: Int64] { engine.seqs }
    public var primary: String? { engine.primary }
    /// Subscriptions this server is serving now (a client's `subscribe` was
    /// handled and it has not gone).
    public var activeSubscriptions: Int { subscribers.values.count(where: { $0.end == nil }) }

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

    /// A snapshot covering `covering` (nil: every source), not sent to anyone
    /// (the flood amends it with its own seqs and lags).
    public func snapshot(covering: Set<String>?, source: String?) -> Envelope? {
        engine.snapshot(covering: covering, source: source)
    }

    public func sendSnapshot(to id: Int, source: String? = nil) {
        guard let s = subscribers[id], let snap = engine.snapshot(covering: s.covering, source: source) else { return }
        stats.snapshotsSent += 1
        deliver([EnvelopeCodec.encodeString(snap)], to: id)
    }

    /// Wakes subscriber `id` with an empty batch: an in-process reader (the
    /// NATS publisher) looks at its timers even while the cluster is quiet.
    public func nudge(_ id: Int) {
        deliver([], to: id)
    }

    /// Counts a client frame (the read-only proof of issue 6 rests on this).
    public func received(isCommand: Bool) {
        stats.framesReceived += 1
        if isCommand { stats.commandsReceived += 1 }
    }

    /// Runs a command for subscriber `id`: its result goes to that subscriber
    /// alone, ahead of the events everyone sees.
    public func command(_ op: ClientOp, scope: TokenScope, from id: Int, requestedBy: String) {
        switch engine.handle(op, scope: scope, requestedBy: requestedBy) {
        case .now(let result, let events):
            if case .commandResult(let r) = result.event { stats.countResult(r.status) }
            deliver([EnvelopeCodec.encodeString(result)], to: id)
            broadcast(events)
        case .later(let requestID):
            if let text = answered[requestID] {
                deliver([text], to: id)
            } else {
                awaiting[requestID] = id
            }
        }
    }

    /// The `command.result` for a frame that could not be read as an op
    /// (counted as a rejection).
    public func invalidRequest(requestID: String?, op: String?) -> String {
        stats.countResult(.rejected)
        return EnvelopeCodec.encodeString(engine.invalidRequest(requestID: requestID, op: op))
    }

    public func deliverInvalid(requestID: String?, op: String?, to id: Int) {
        deliver([invalidRequest(requestID: requestID, op: op)], to: id)
    }

    /// Serves what a connector produced: its events go to every subscriber
    /// (and into the replay hub), a `command.result` only to the subscriber
    /// whose command it answers.
    public func publish(_ envelopes: some Sequence<Envelope>) {
        var events: [Envelope] = []
        for e in envelopes {
            if case .commandResult(let r) = e.event, e.seq == 0 {
                guard let id = r.requestID else { continue }
                let text = EnvelopeCodec.encodeString(e)
                answered[id] = text
                stats.countResult(r.status)
                if let to = awaiting[id] {
                    // `accepted` is not the last word of a command that runs
                    // for a while (a slot move): the asker gets each answer
                    // until the final one.
                    if r.status != .accepted { awaiting[id] = nil }
                    deliver([text], to: to)
                }
                continue
            }
            events.append(e)
        }
        broadcast(events)
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

    package func broadcast(_ events: [Envelope]) {
        guard !events.isEmpty else { return }
        stats.eventsBroadcast += events.count
        var all: [String] = []
        all.reserveCapacity(events.count)
        var bySource: [String: [String]] = [:]
        let perNode = subscribers.values.contains { $0.covering != nil }
        var crashed: [String] = []
        for e in events {
            engine.observe(e)
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
