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
    private let policy: ReconnectMachine.Policy
    private let clock: @Sendable () -> Timestamp
    private let logger: Logger
    private let shared = Mutex(Shared())
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

    private func setStatus(_ i: Int, _ status: EndpointStatus) {
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

    /// Lives one connection: returns why it ended.
    private func connectOnce(endpoint i: Int, config: EndpointConfig, machine: inout ReconnectMachine) async -> DisconnectReason {
        var headers = HTTPFields()
        if let token = config.token { headers[.authorization] = "Bearer \(token)" }
        let wsConfig = WebSocketClientConfiguration(
            maxFrameSize: EnvelopeCodec.maxFrameBytes, additionalHeaders: headers, autoPing: .enabled(timePeriod: .seconds(10)),
            sniHostname: config.sniHostname)
        let tls: TLSConfiguration?
        do {
            tls = try tlsConfiguration(for: config)
        } catch {
            return .fatal("TLS setup: \(error)")
        }
        let box = ConnectionBox(machine: machine)
        let clock = self.clock
        let queue = self.queue
        let logger = self.logger
        let connection = Task { () -> Result<Void, any Error> in
            defer { box.markFinished() }
            do {
                try await WebSocketClient.connect(url: config.url, configuration: wsConfig, tlsConfiguration: tls, logger: logger) {
                    inbound, outbound, _ in
                    let resume = self.shared.withLock { $0.seqs.last }
                    // Nothing queued from an earlier connection is sent now;
                    // what is queued from here on wakes the writer.
                    let (wake, waker) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
                    self.shared.withLock {
                        $0.outgoing[i] = []
                        $0.wakers[i] = waker
                    }
                    defer {
                        waker.finish()
                        self.shared.withLock { $0.wakers[i] = nil }
                    }
                    try await outbound.write(.text(ClientOpCodec.encode(.subscribe(resume: resume.isEmpty ? nil : resume))))
                    box.connected(now: clock())
                    self.shared.withLock { $0.stats[i].connections += 1 }
                    self.setStatus(i, box.status)
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        // Writer: sends queued frames when woken (no polling).
                        group.addTask {
                            for await _ in wake {
                                let pending = self.shared.withLock { s -> [String] in
                                    defer { s.outgoing[i] = [] }
                                    return s.outgoing[i]
                                }
                                for text in pending { try await outbound.write(.text(text)) }
                            }
                        }
                        // Watchdog: once a second, drops a connection that went stale.
                        group.addTask {
                            while !Task.isCancelled {
                                try await Task.sleep(for: .seconds(1))
                                if box.tick(now: clock()) == .dropStale {
                                    self.setStatus(i, box.status)
                                    try? await outbound.close(.goingAway, reason: "stale: no data for 30 s")
                                    throw ConnectionEnd.stale
                                }
                            }
                        }
                        group.addTask {
                            var statusTick = 0
                            // Frames, not messages: a whole text frame is decoded straight
                            // from its buffer (no String made of it); a fragmented one is
                            // assembled first, up to the frame limit. Binary is ignored.
                            var assembling: ByteBuffer?
                            var skippingBinary = false
                            var lastHeard = Timestamp(millis: 0)
                            var lastStatus = Timestamp(millis: 0)
                            var answered = false
                            for try await frame in inbound {
                                var message: ByteBuffer
                                switch frame.opcode {
                                case .text:
                                    skippingBinary = false
                                    guard frame.fin else {
                                        assembling = frame.data
                                        continue
                                    }
                                    assembling = nil
                                    message = frame.data
                                case .continuation:
                                    guard !skippingBinary, var partial = assembling else { continue }
                                    guard partial.readableBytes + frame.data.readableBytes <= EnvelopeCodec.maxFrameBytes else {
                                        throw ConnectionEnd.tooLarge
                                    }
                                    var more = frame.data
                                    partial.writeBuffer(&more)
                                    guard frame.fin else {
                                        assembling = partial
                                        continue
                                    }
                                    assembling = nil
                                    message = partial
                                case .binary:
                                    skippingBinary = !frame.fin
                                    assembling = nil
                                    continue
                                }
                                let now = clock()
                                // "Last heard" at 50 ms resolution is plenty (staleness is
                                // 30 s) and spares a lock per frame in a flood.
                                if now.millis(since: lastHeard) >= 50 {
                                    lastHeard = now
                                    box.heard(now: now)
                                }
                                // The shown status (its "last frame") follows at least
                                // once a second, or every 256 frames in a flood.
                                statusTick += 1
                                if statusTick & 255 == 0 || now.millis(since: lastStatus) >= 1_000 {
                                    lastStatus = now
                                    self.setStatus(i, box.status)
                                }
                                do throws(ProtocolError) {
                                    let e = try message.withUnsafeReadableBytes { (raw) throws(ProtocolError) -> Envelope in
                                        try EnvelopeCodec.decode(raw)
                                    }
                                    self.shared.withLock { s in
                                        s.seqs.record(e)
                                        s.stats[i].frames += 1
                                        if e.seq > 0 {
                                            s.stats[i].lastSource = e.source
                                            s.stats[i].lastSeq = e.seq
                                        }
                                    }
                                    if !answered {
                                        // The subscription is answered: a restart
                                        // after this resets the backoff count.
                                        answered = true
                                        box.subscribed(now: now)
                                    }
                                    queue.push(Received(envelope: e, endpoint: i, receivedAt: now))
                                } catch {
                                    self.shared.withLock { $0.stats[i].decodeErrors += 1 }
                                    logger.warning("endpoint \(config.displayName): undecodable frame: \(error.message)")
                                }
                            }
                            throw ConnectionEnd.closed
                        }
                        _ = try await group.next()
                        group.cancelAll()
                    }
                }
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        // A handshake that hangs ignores cancellation: race it against a timeout.
        let deadline = clock().adding(millis: policy.connectTimeoutMillis)
        while !box.isConnected {
            if Task.isCancelled {
                connection.cancel()
                return .closed("stopped")
            }
            if clock() > deadline {
                connection.cancel()
                machine = box.machine
                // A plain ws:// server says nothing to a TLS hello: name it.
                return .closed(tls == nil ? "handshake timed out" : "handshake timed out (TLS: no answer to the TLS hello; a ws:// server?)")
            }
            if box.finished { break }
            try? await Task.sleep(for: .milliseconds(10))
        }
        let result = await withTaskCancellationHandler {
            await connection.value
        } onCancel: {
            connection.cancel()
        }
        machine = box.machine
        switch result {
        case .success:
            return .closed(box.wasConnected ? "closed by the server" : "closed before the WebSocket upgrade")
        case .failure(let error):
            if case ConnectionEnd.stale = error { return .closed("stale") }
            if case ConnectionEnd.closed = error { return .closed("closed by the server") }
            if case ConnectionEnd.tooLarge = error { return .closed("a fragmented message over \(EnvelopeCodec.maxFrameBytes) bytes") }
            if let e = error as? WebSocketClientError, e == .webSocketUpgradeFailed {
                // The client does not say why; ask the server with a plain request.
                let status = await HTTPProbe.status(url: config.url, token: config.token, tls: tls, serverName: config.tlsServerName)
                if status == 401 { return .unauthorized }
                return .closed(status.map { "upgrade refused: HTTP \($0)" } ?? "WebSocket upgrade refused")
            }
            if let e = error as? WebSocketClientError, e == .invalidURL { return .fatal("invalid URL") }
            if box.wasConnected { return .closed("closed by the server") }
            return .closed(ConnectErrors.describe(error, host: URLComponents(string: config.url)?.host))
        }
    }
}
