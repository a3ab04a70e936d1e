import ClusterProtocol
import ClusterState
import EventSources
import Foundation
import HTTPTypes
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization
import WSClient

/// Subscribes to one or more protocol-v1 endpoints and merges them into one
/// bounded queue. Each endpoint has its own connection loop: connect with the
/// bearer token, send `subscribe` with the last seq seen per source (so the
/// server replays what was missed), read and decode off the main thread,
/// reconnect by `ReconnectMachine` (backoff with jitter that resets on an
/// answered subscription, slow retry on 401, stale after 30 s of silence).
/// WebSocket pings every 10 s. Why a connection failed is named by
/// `ConnectErrors` and carried in the endpoint's status.
public final class WebSocketSource: EventSource, CommandSink {
    public let queue: EnvelopeQueue
    public let endpoints: [EndpointConfig]
    /// Protocol v1 carries every kind of event and accepts every command.
    public let provides: SourceCapabilities = .all
    let policy: ReconnectMachine.Policy
    let clock: @Sendable () -> Timestamp
    let logger: Logger
    let shared = Mutex(Shared())
    private let tasks = Mutex<[Task<Void, Never>]>([])

    struct Shared {
        var statuses: [EndpointStatus] = []
        /// Last seq received per source, for `resume` (the state's rules, bounded).
        var seqs = SeqTracker(capacity: StateLimits().sources)
        /// Frames waiting to be sent, per endpoint (the live connection drains them).
        var outgoing: [[String]] = []
        /// Wakes the live connection's writer, per endpoint (nil while not connected).
        var wakers: [AsyncStream<Void>.Continuation?] = []
        /// Frames, decode errors, connections and the last seq, per endpoint.
        var stats: [EndpointStats] = []
    }

    public init(
        endpoints: [EndpointConfig], queueCapacity: Int = 100_000, policy: ReconnectMachine.Policy = .init(),
        clock: @escaping @Sendable () -> Timestamp, logger: Logger
    ) {
        self.endpoints = endpoints
        self.queue = EnvelopeQueue(capacity: queueCapacity)
        self.policy = policy
        self.clock = clock
        self.logger = logger
        shared.withLock {
            $0.statuses = endpoints.map { _ in .connecting(attempt: 1, lastError: nil) }
            $0.outgoing = endpoints.map { _ in [] }
            $0.wakers = endpoints.map { _ in nil }
            $0.stats = endpoints.map { _ in EndpointStats() }
        }
    }

    public var statuses: [EndpointStatus] { shared.withLock { $0.statuses } }
    public var endpointNames: [String] { endpoints.map(\.displayName) }
    public var decodeErrors: Int { shared.withLock { $0.stats.reduce(0) { $0 + $1.decodeErrors } } }
    public var framesReceived: Int { shared.withLock { $0.stats.reduce(0) { $0 + $1.frames } } }
    public var stats: [EndpointStats] { shared.withLock { $0.stats } }

    public func start() {
        let started = endpoints.indices.map { i in
            Task { [self] in await self.loop(endpoint: i) }
        }
        tasks.withLock { $0 = started }
    }

    public func stop() async {
        let running = tasks.withLock { t -> [Task<Void, Never>] in
            defer { t = [] }
            return t
        }
        for t in running { t.cancel() }
        for t in running { await t.value }
        queue.close()
    }

    public func send(_ op: ClientOp) -> Bool {
        let text = ClientOpCodec.encode(op)
        return shared.withLock { s in
            // The first live endpoint takes commands.
            guard let i = s.statuses.firstIndex(where: \.isLive) else { return false }
            s.outgoing[i].append(text)
            s.wakers[i]?.yield()
            return true
        }
    }

    public func requestSnapshot(endpoint: Int) {
        let text = ClientOpCodec.encode(.snapshot)
        shared.withLock { s in
            guard s.outgoing.indices.contains(endpoint) else { return }
            s.outgoing[endpoint].append(text)
            s.wakers[endpoint]?.yield()
        }
    }

    // MARK: The connection loop

    func setStatus(_ i: Int, _ status: EndpointStatus) {
        shared.withLock { $0.statuses[i] = status }
    }

    private func loop(endpoint i: Int) async {
        var machine = ReconnectMachine(policy: policy, seed: UInt64(i + 1) &* 0x9E37_79B9)
        let config = endpoints[i]
        while !Task.isCancelled {
            _ = machine.connecting()
            setStatus(i, machine.status)
            let reason = await connectOnce(endpoint: i, config: config, machine: &machine)
            if Task.isCancelled { return }
            let action = machine.disconnected(now: clock(), reason: reason)
            setStatus(i, machine.status)
            logger.info("endpoint \(config.displayName) disconnected: \(reason.text); \(machine.status.label)")
            switch action {
            case .wait(let until):
                let delay = max(0, until.millis(since: clock()))
                do { try await Task.sleep(for: .milliseconds(delay)) } catch { return }
            case .giveUp:
                return
            default:
                break
            }
        }
    }
}
