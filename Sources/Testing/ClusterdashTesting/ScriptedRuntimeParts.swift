import ClusterProtocol
import DequeModule
import EventSources
import RenderCore
import Synchronization

/// An interactive backend for tests: the screen in memory, input from a
/// script the test fills (`type`), never waiting.
public struct ScriptedBackend: InteractiveBackend, Sendable {
    /// The input still to be read, shared with the test.
    public final class Input: Sendable {
        private let events = Mutex<Deque<InputEvent>>([])
        public init() {}
        public func type(_ e: InputEvent) { events.withLock { $0.append(e) } }
        func next() -> InputEvent? { events.withLock { $0.popFirst() } }
    }

    public private(set) var screen: TestBackend
    public let input: Input
    public private(set) var shutDown = false

    public init(width: Int, height: Int, input: Input = Input()) {
        screen = TestBackend(width: width, height: height)
        self.input = input
    }

    public var size: Size { screen.size }
    public var unicode: Bool { true }
    public var colorCount: Int { 256 }
    public mutating func draw(_ changes: [CellChange]) { screen.draw(changes) }
    public mutating func clear() { screen.clear() }
    public mutating func flush() { screen.flush() }
    public func setInputTimeout(millis: Int) {}
    public func readEvent() -> InputEvent? { input.next() }
    public mutating func setTheme(_ theme: Theme) {}
    public mutating func shutdown() { shutDown = true }
}

/// A source for tests: the test pushes what it "received"; every snapshot
/// request and command is recorded.
public final class ScriptedSource: EventSource, CommandSink {
    public let queue = EnvelopeQueue(capacity: 10_000)
    public let provides: SourceCapabilities
    public let endpointNames: [String]
    private let recorded = Mutex<(snapshots: [Int], commands: [ClientOp], lastFrameAt: Timestamp)>(([], [], Timestamp(millis: 0)))

    public init(endpoints: [String] = ["ws://127.0.0.1:1/"], provides: SourceCapabilities = .all) {
        endpointNames = endpoints
        self.provides = provides
    }

    /// Live since the first delivery, its last frame the last delivery's.
    public var statuses: [EndpointStatus] {
        let at = recorded.withLock { $0.lastFrameAt }
        return endpointNames.map { _ in .live(since: at, lastFrameAt: at) }
    }
    public var stats: [EndpointStats] { scriptedStats.withLock { $0 } }
    /// What `stats` says (a test sets a warning or held events on it).
    public let scriptedStats = Mutex<[EndpointStats]>([])
    public func start() {}
    public func stop() async { queue.close() }
    public func requestSnapshot(endpoint: Int) { recorded.withLock { $0.snapshots.append(endpoint) } }
    public func send(_ op: ClientOp) -> Bool {
        recorded.withLock { $0.commands.append(op) }
        return true
    }

    /// The endpoints asked for a snapshot, in order.
    public var snapshotRequests: [Int] { recorded.withLock { $0.snapshots } }
    public var commandsSent: [ClientOp] { recorded.withLock { $0.commands } }

    /// As if endpoint 0 delivered `envelopes` at `at`.
    public func deliver(_ envelopes: [Envelope], at: Timestamp) {
        recorded.withLock { $0.lastFrameAt = at }
        for e in envelopes { _ = queue.push(Received(envelope: e, endpoint: 0, receivedAt: at)) }
    }
}

/// A fleet discovery for tests: the clusters are the ones the test adds.
public final class ScriptedDiscovery: ClusterDiscovery {
    public let queue = EnvelopeQueue(capacity: 16)
    public let provides: SourceCapabilities = []
    private let found = Mutex<[String: ScriptedSource]>([:])

    public init() {}

    public func add(_ name: String, _ source: ScriptedSource) { found.withLock { $0[name] = source } }
    public var clusterSources: [String: any EventSource] { found.withLock { $0 } }
    public var discoveryStatus: String { "looking for clusters (scripted)" }
    public var statuses: [EndpointStatus] { [.connecting(attempt: 1)] }
    public var endpointNames: [String] { ["scripted"] }
    public var stats: [EndpointStats] { [] }
    public func start() {}
    public func stop() async {}
    public func requestSnapshot(endpoint: Int) {}
}

/// A clock a test moves by hand: the monotonic instant and the wall time
/// move together.
public final class ManualClock: Sendable {
    private let state: Mutex<(instant: ContinuousClock.Instant, wall: Timestamp)>

    public init(wall: Timestamp) { state = Mutex((ContinuousClock.now, wall)) }

    public var instant: ContinuousClock.Instant { state.withLock { $0.instant } }
    public var wall: Timestamp { state.withLock { $0.wall } }

    public func advance(millis: Int64) {
        state.withLock { s in
            s.instant = s.instant.advanced(by: .milliseconds(millis))
            s.wall = s.wall.adding(millis: millis)
        }
    }
}
