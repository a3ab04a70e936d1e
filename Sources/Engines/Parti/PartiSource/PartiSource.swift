import ClusterProtocol
import EventSources
import Foundation
import Logging
import NATSClient
import PartiRules
import Synchronization

/// Where Parti's buckets are and how to reach them.
public struct PartiSourceConfig: Sendable {
    public var servers: [NATSAddress]
    public var credentials: NATSCredentials
    public var bucketPrefix: String
    /// Parti beats every 2 s: a read a second shows a late heartbeat within
    /// a beat, and each read is a handful of requests per worker.
    public var pollInterval: Duration = .seconds(1)
    public var requestTimeout: Duration = .seconds(2)

    public init(servers: [NATSAddress], credentials: NATSCredentials = NATSCredentials(), bucketPrefix: String = "parti") {
        self.servers = servers
        self.credentials = credentials
        self.bucketPrefix = bucketPrefix
    }
}

/// Parti as a source, read-only: every poll reads its four KV buckets
/// (each key's last value: `STREAM.INFO` with a subject filter names the
/// keys, `STREAM.MSG.GET` `last_by_subj` reads each; a deleted or purged
/// key is absent, an expired one is gone from the stream), then
/// `PartiMapper` and `PollDiffer` turn them into protocol-v1 envelopes. It
/// never writes a bucket and takes no command: every one is refused with
/// the reason.
public final class PartiSource: EventSource, CommandSink {
    public let queue: EnvelopeQueue
    public let config: PartiSourceConfig
    public var provides: SourceCapabilities { [.roles, .assignments] }
    let clock: @Sendable () -> Timestamp
    let logger: Logger
    let shared = Mutex(Shared())
    let driver = PollDriver()
    public var pollDriver: PollDriver? { driver }
    let calls = Atomic<Int>(0)

    /// Requests sent to the servers so far (this source's load on them).
    public var requests: Int { calls.load(ordering: .relaxed) }

    struct Shared {
        var endpoints = EndpointBook(count: 0)
        var connection: NATSConnection?
        var connectedTo = 0
        var differ: PollDiffer?
        var mapper = PartiMapper()
    }

    public init(config: PartiSourceConfig, queueCapacity: Int = 100_000, clock: @escaping @Sendable () -> Timestamp, logger: Logger) {
        self.config = config
        self.queue = EnvelopeQueue(capacity: queueCapacity)
        self.clock = clock
        self.logger = logger
        shared.withLock { $0.endpoints = EndpointBook(count: config.servers.count) }
    }

    public var statuses: [EndpointStatus] { shared.withLock { $0.endpoints.statuses } }
    public var stats: [EndpointStats] { shared.withLock { $0.endpoints.stats } }
    public var endpointNames: [String] { config.servers.map { "parti on nats \($0.host):\($0.port)" } }

    public func start() { driver.start(every: config.pollInterval, poll: { [self] in await pollOnce() }) }

    public func stop() async {
        await driver.stop()
        shared.withLock { s in
            s.connection?.close()
            s.connection = nil
        }
        queue.close()
    }

    public func requestSnapshot(endpoint: Int) {
        shared.withLock { $0.differ?.resync() }
        driver.wake()
    }

    /// Every command is refused: Parti decides alone.
    public func send(_ op: ClientOp) -> Bool {
        guard let requestID = op.requestID else { return false }
        let now = clock()
        let r = CommandResult(
            requestID: requestID, op: op.op, status: .rejected,
            reason: "Parti decides alone (its election and its calculator): clusterdash only reads its buckets; nothing was sent")
        shared.withLock { s in
            _ = queue.push(Received(envelope: s.differ.stampResult(r, source: "parti", at: now), endpoint: 0, receivedAt: now))
        }
        return true
    }

    /// The open connection, or a new one to the first server given that takes it.
    func connection() async -> NATSConnection? {
        if let c = shared.withLock({ $0.connection }), c.closedReason == nil { return c }
        for (i, address) in config.servers.enumerated() {
            do {
                let c = try await NATSConnection.connect(
                    address, credentials: config.credentials, name: "clusterdash parti", timeout: .seconds(2), subscriptionBuffer: 1_000,
                    logger: logger)
                shared.withLock { s in
                    s.connection?.close()
                    s.connection = c
                    s.connectedTo = i
                }
                return c
            } catch {
                fail(i, "\(error)")
            }
        }
        return nil
    }

    func fail(_ i: Int, _ reason: String) {
        let now = clock()
        let retry = Int64(config.pollInterval.components.seconds * 1000)
        let first = shared.withLock { $0.endpoints.failed(i, reason, garbage: false, retryInMillis: retry, at: now) }
        if first { logger.warning("\(endpointNames[i]): \(reason)") }
    }

    /// One read of the four buckets, mapped and diffed onto the queue.
    func pollOnce() async {
        guard let c = await connection() else { return }
        let js = JetStream(c, timeout: config.requestTimeout)
        let b = PartiKV.buckets(prefix: config.bucketPrefix)
        var o = PartiObservation()
        do {
            let ids = try await read(js, b.stableID)
            let election = try await read(js, b.election)
            let beats = try await read(js, b.heartbeat)
            let assignments = try await read(js, b.assignment)
            for (bucket, values) in [(b.stableID, ids), (b.election, election), (b.heartbeat, beats), (b.assignment, assignments)]
            where values == nil {
                o.missingBuckets.append(bucket)
            }
            for (key, value) in ids ?? [:] { o.ids[key] = PartiKV.time(value) }
            if let v = election?["leader"] { o.leader = PartiKV.leader(v) }
            for (key, value) in beats ?? [:] where key.hasPrefix("heartbeat.") {
                if let t = PartiKV.time(value) { o.heartbeats[String(key.dropFirst("heartbeat.".count))] = t } else { o.unreadable.append(key) }
            }
            for (key, value) in assignments ?? [:] where key.hasPrefix("assignment.") {
                if let a = PartiKV.assignment(value) {
                    o.assignments[String(key.dropFirst("assignment.".count))] = a
                } else {
                    o.unreadable.append(key)
                }
            }
        } catch {
            let i = shared.withLock { $0.connectedTo }
            fail(i, "reading Parti's buckets: \(error)")
            return
        }
        o.unreadable.sort()
        let now = clock()
        shared.withLock { s in
            s.endpoints.live(s.connectedTo, at: now)
            let name = "parti-\(config.bucketPrefix)"
            if s.differ == nil { s.differ = PollDiffer(source: name, idPrefix: "\(name)-\(now.millis)-") }
            let polled = s.mapper.cluster(o, name: name, at: now)
            guard var differ = s.differ else { return }
            let out = differ.diff(polled, at: now)
            s.differ = differ
            for e in out { _ = queue.push(Received(envelope: e, endpoint: s.connectedTo, receivedAt: now)) }
        }
    }

    /// Every live key's last value in a bucket; nil when the bucket does not exist.
    func read(_ js: JetStream, _ bucket: String) async throws -> [String: [UInt8]]? {
        let stream = "KV_\(bucket)"
        let prefix = "$KV.\(bucket)."
        let info: [String: Any]
        do {
            calls.add(1, ordering: .relaxed)
            info = try await js.call("STREAM.INFO.\(stream)", ["subjects_filter": prefix + ">"])
        } catch let e as JetStream.APIError where e.errCode == JetStream.APIError.streamNotFound {
            return nil
        }
        let subjects = ((info["state"] as? [String: Any])?["subjects"] as? [String: Any])?.keys.sorted() ?? []
        var out: [String: [UInt8]] = [:]
        for subject in subjects.prefix(10_000) where subject.hasPrefix(prefix) {
            calls.add(1, ordering: .relaxed)
            guard let m = try await js.lastMessage(stream: stream, subject: subject) else { continue }
            let op = m.headers.first { $0.name.lowercased() == "kv-operation" }?.value.uppercased()
            if op == "DEL" || op == "PURGE" { continue }
            out[String(subject.dropFirst(prefix.count))] = m.data
        }
        return out
    }
}
