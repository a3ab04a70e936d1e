import ClusterProtocol
import ClusterState
import EventSources
import Foundation
import Logging
import NATSClient
import Synchronization

/// How a dashboard reads a cluster's stream from NATS JetStream.
public struct NATSSourceConfig: Sendable {
    /// NATS servers, tried in turn; the first one's path names the cluster.
    public var servers: [NATSAddress]
    /// nil: the only clusterdash stream the servers hold.
    public var cluster: String?
    public var credentials = NATSCredentials()
    /// Commands are never sent (and the source is not a command sink).
    public var readOnly = false
    /// Silence after which a connection counts as dead (JetStream sends a heartbeat every 2 s).
    public var heartbeatTimeout: Duration = .seconds(8)

    public init(servers: [NATSAddress], cluster: String? = nil) {
        self.servers = servers
        self.cluster = cluster ?? servers.lazy.compactMap(\.cluster).first
    }
}

/// A cluster's protocol-v1 stream read from JetStream: the latest snapshot
/// first, then every event after it through an ephemeral ordered consumer
/// (no acks, flow control, heartbeats). It remembers the last stream
/// sequence it applied; after a reconnect (to the same server or the next
/// one given) it resumes right after it, so nothing is lost and nothing is
/// applied twice. A gap (the consumer's own sequence jumps), a stream that
/// no longer holds what comes next, or an event of another publisher
/// (`Clusterdash-Epoch` changed: a standby gateway took over) starts again
/// from the latest snapshot.
///
/// Commands go by request/reply on `clusterdash.<cluster>.cmd`; their
/// answers come back into the queue like any command.result. With nobody
/// to answer (no gateway), NATS says so at once and the dashboard is told.
public final class NATSSource: EventSource, CommandSink {
    public static let epochHeader = "Clusterdash-Epoch"

    public let queue: EnvelopeQueue
    public let config: NATSSourceConfig
    public let provides: SourceCapabilities = .all
    private let clock: @Sendable () -> Timestamp
    private let logger: Logger
    private let shared = Mutex(Shared())
    private let task = Mutex<Task<Void, Never>?>(nil)

    struct Shared {
        var statuses: [EndpointStatus] = []
        var stats: [EndpointStats] = []
        /// The last stream sequence applied (resume point).
        var lastStreamSeq: UInt64?
        var epoch: String?
        /// Epochs another has since replaced: a late event of one is skipped.
        var retired: [String] = []
        var created: String?
        /// Envelopes pushed into the queue (events and snapshots).
        var applied = 0
        var snapshotsApplied = 0
        var resyncs = 0
        /// The live connection, for commands.
        var connection: NATSConnection?
        var cluster: String?
        /// Consumers made so far (each delivers to a subject of its own).
        var consumers = 0
        var pendingCommands = BoundedDictionary<String, (requestID: String, op: String)>(capacity: 1_000)
        var nextCommand = 0
    }

    public init(config: NATSSourceConfig, queueCapacity: Int = 100_000, clock: @escaping @Sendable () -> Timestamp, logger: Logger) {
        self.config = config
        self.queue = EnvelopeQueue(capacity: queueCapacity)
        self.clock = clock
        self.logger = logger
        // One endpoint: the stream, whichever server carries it now.
        shared.withLock {
            $0.statuses = [.connecting(attempt: 1, lastError: nil)]
            $0.stats = [EndpointStats()]
        }
    }

    public var statuses: [EndpointStatus] { shared.withLock { $0.statuses } }
    /// One name: the stream's cluster and the servers that may carry it.
    public var endpointNames: [String] {
        let hosts = config.servers.map { "\($0.host):\($0.port)" }.joined(separator: ",")
        return ["\(config.servers.first?.webSocket == true ? "nats+ws" : "nats")://\(hosts)/\(cluster ?? config.cluster ?? "*")"]
    }
    /// The server connected to now, if any.
    public var server: String? { shared.withLock { $0.connection?.address.description } }
    public var stats: [EndpointStats] { shared.withLock { $0.stats } }
    /// The stream sequence a reconnect resumes after.
    public var lastStreamSeq: UInt64? { shared.withLock { $0.lastStreamSeq } }
    /// Envelopes delivered into the queue, snapshots included.
    public var delivered: Int { shared.withLock { $0.applied } }
    /// Times it started over from a snapshot after the first.
    public var resyncs: Int { shared.withLock { $0.resyncs } }
    /// The cluster read (given, or found on the server).
    public var cluster: String? { shared.withLock { $0.cluster } }

    public func start() {
        task.withLock { $0 = Task { [self] in await loop() } }
    }

    public func stop() async {
        await task.cancelAndWait()
        queue.close()
    }

    /// A snapshot comes from the stream on the next resync; asking for one
    /// starts over from the latest.
    public func requestSnapshot(endpoint: Int) {
        let c = shared.withLock { s -> NATSConnection? in
            s.lastStreamSeq = nil
            return s.connection
        }
        c?.close()
    }

    public func send(_ op: ClientOp) -> Bool {
        guard !config.readOnly, let requestID = op.requestID else { return false }
        let target = shared.withLock { s -> (NATSConnection, String, Int)? in
            guard let c = s.connection, let cluster = s.cluster else { return nil }
            s.nextCommand += 1
            s.pendingCommands[String(s.nextCommand)] = (requestID, op.op)
            return (c, cluster, s.nextCommand)
        }
        guard let (connection, cluster, n) = target, let subjects = ClusterSubjects(cluster: cluster) else { return false }
        connection.publish(subjects.commands, replyTo: "\(connection.inbox).cmd.\(n)", payload: Array(ClientOpCodec.encode(op).utf8))
        return true
    }

    // MARK: The loop

    private func setStatus(_ status: EndpointStatus) {
        shared.withLock { $0.statuses[0] = status }
    }

    private func loop() async {
        var machine = ReconnectMachine(policy: .init(), seed: 0x5A7_5EED)
        var i = 0
        var attempt = 0
        while !Task.isCancelled {
            let server = i % config.servers.count
            _ = machine.connecting()
            attempt += 1
            let last: String? = if case .backingOff(_, _, let why) = statuses[0] { why } else { nil }
            setStatus(.connecting(attempt: attempt, lastError: last))
            let reason = await session(server: server, machine: &machine)
            shared.withLock { $0.connection = nil }
            if Task.isCancelled { return }
            let why = DisconnectReason.closed("\(config.servers[server]): \(reason.text)")
            let action = machine.disconnected(now: clock(), reason: why)
            logger.info("NATS \(why.text)")
            // The next server at once; after a whole round, wait as the machine says.
            i += 1
            if i % config.servers.count == 0, case .wait(let until) = action {
                setStatus(.backingOff(until: until, attempt: attempt, reason: why.text))
                let delay = max(0, until.millis(since: clock()))
                do { try await Task.sleep(for: .milliseconds(delay)) } catch { return }
            } else {
                setStatus(.backingOff(until: clock(), attempt: attempt, reason: why.text))
            }
        }
    }

    /// What one delivery comes to.
    enum Step {
        case skip
        case newEpoch(String)
        case apply
    }

    enum Restart: Error {
        /// Start again from the latest snapshot.
        case fromSnapshot(String)
        /// A gap in the consumer: a new one, right after the last applied.
        case resume(String)
    }

    /// One connection: finds the cluster, starts from the snapshot or
    /// resumes, and reads until the connection ends.
    private func session(server i: Int, machine: inout ReconnectMachine) async -> DisconnectReason {
        let address = config.servers[i]
        let connection: NATSConnection
        do {
            connection = try await NATSConnection.connect(address, credentials: config.credentials, name: "clusterdash dashboard", logger: logger)
        } catch let e as NATSError {
            return .closed(e.description)
        } catch {
            return .closed("\(error)")
        }
        defer { connection.close() }
        let js = JetStream(connection)
        do {
            let subjects = try await findCluster(js)
            let commandReplies = connection.subscribe("\(connection.inbox).cmd.*")
            let replies = Task { await forwardReplies(commandReplies, endpoint: i) }
            defer { replies.cancel() }
            // Which publisher (gateway) is active, read from its lease every few seconds.
            let lease = Task { [self] in
                while !Task.isCancelled {
                    let holder = try? await js.lastMessage(stream: ClusterSubjects.leaseStream, subject: subjects.active)
                    let name = holder.map { String(decoding: $0.data.prefix(80), as: UTF8.self) }
                    self.shared.withLock {
                        $0.stats[0].detail = "via \(address.host):\(address.port), active publisher \(name ?? "none")"
                        $0.stats[0].warning = name == nil ? "no active publisher (its gateway is down?)" : nil
                    }
                    try? await Task.sleep(for: .seconds(3))
                }
            }
            defer { lease.cancel() }
            shared.withLock {
                $0.connection = connection
                $0.stats[0].connections += 1
            }
            machine.connected(now: clock())
            while true {
                try await startIfNeeded(js, subjects: subjects, endpoint: i)
                let now = clock()
                machine.subscribed(now: now)
                setStatus(.live(since: now, lastFrameAt: now))
                do {
                    try await consume(js, subjects: subjects, endpoint: i)
                } catch Restart.fromSnapshot(let why) {
                    logger.notice("NATS \(address): starting again from the latest snapshot: \(why)")
                    shared.withLock {
                        $0.lastStreamSeq = nil
                        $0.resyncs += 1
                    }
                    continue
                } catch Restart.resume(let why) {
                    logger.notice("NATS \(address): a new consumer after the last event applied: \(why)")
                    continue
                }
            }
        } catch let e as NATSError {
            if case .invalid(let why) = e { return .closed(why) }
            return .closed(e.description)
        } catch let e as JetStream.APIError {
            return .closed(e.description)
        } catch {
            return .closed("\(error)")
        }
    }

    /// The cluster to read: the one given, or the only one there.
    private func findCluster(_ js: JetStream) async throws -> ClusterSubjects {
        if let name = config.cluster {
            guard let s = ClusterSubjects(cluster: name) else { throw NATSError.invalid("\(name) is not a cluster name (letters, digits, - and _)") }
            shared.withLock { $0.cluster = name }
            return s
        }
        let names = try await js.streamNames(subject: ClusterSubjects.anySnapshot).compactMap(ClusterSubjects.cluster(ofStream:))
        guard names.count == 1, let only = names.first, let s = ClusterSubjects(cluster: only) else {
            throw NATSError.invalid(
                names.isEmpty
                    ? "no cluster is published on this NATS (clusterdash gateway --publish)"
                    : "\(names.count) clusters here: name one (nats://HOST:PORT/NAME): \(names.joined(separator: ", "))")
        }
        shared.withLock { $0.cluster = only }
        return s
    }

    /// Makes sure the next message read follows what was applied: a fresh
    /// start (or a stream that lost what comes next) begins at the snapshot.
    private func startIfNeeded(_ js: JetStream, subjects: ClusterSubjects, endpoint i: Int) async throws {
        let info = try await js.streamInfo(subjects.stream)
        let (last, created) = shared.withLock { ($0.lastStreamSeq, $0.created) }
        if let last, created == info.created, info.firstSeq <= last + 1 { return }
        if last != nil { shared.withLock { $0.resyncs += 1 } }
        guard let snap = try await js.lastMessage(stream: subjects.stream, subject: subjects.snapshot) else {
            throw NATSError.invalid("\(subjects.cluster) has no snapshot yet (is its gateway publishing?)")
        }
        let envelope: Envelope
        do {
            envelope = try EnvelopeCodec.decode(snap.data)
        } catch {
            shared.withLock { $0.stats[0].decodeErrors += 1 }
            throw NATSError.invalid("the latest snapshot is not protocol v1: \(error.message)")
        }
        deliver(envelope, streamSeq: snap.seq, endpoint: i)
        shared.withLock { s in
            s.created = info.created
            let epoch = snap.headers.first { $0.name == Self.epochHeader }?.value
            if let old = s.epoch, old != epoch {
                s.retired.append(old)
                if s.retired.count > 16 { s.retired.removeFirst() }
            }
            s.epoch = epoch
            s.snapshotsApplied += 1
        }
    }

    private func deliver(_ e: Envelope, streamSeq: UInt64, endpoint i: Int) {
        shared.withLock { s in
            s.lastStreamSeq = streamSeq
            s.applied += 1
            s.stats[0].frames += 1
            if e.seq > 0 {
                s.stats[0].lastSource = e.source
                s.stats[0].lastSeq = e.seq
            }
        }
        _ = queue.push(Received(envelope: e, endpoint: 0, receivedAt: clock()))
    }

    /// Reads the events after the last one applied until something ends it.
    private func consume(_ js: JetStream, subjects: ClusterSubjects, endpoint i: Int) async throws {
        guard let start = shared.withLock({ $0.lastStreamSeq }) else { throw Restart.fromSnapshot("no position") }
        let connection = js.connection
        // A subject of its own per consumer: a replaced consumer's last
        // deliveries (its deletion is not instant) reach nobody.
        let n = shared.withLock { s -> Int in
            s.consumers += 1
            return s.consumers
        }
        let deliverTo = "\(connection.inbox).deliver.\(n)"
        let sub = connection.subscribe(deliverTo)
        defer { connection.unsubscribe(sub.sid) }
        let consumer = try await js.createConsumer(
            stream: subjects.stream,
            config: [
                "deliver_subject": deliverTo, "deliver_policy": "by_start_sequence", "opt_start_seq": start + 1, "ack_policy": "none",
                "filter_subject": subjects.events, "flow_control": true, "idle_heartbeat": JetStream.nanos(.seconds(2)),
                "mem_storage": true, "num_replicas": 1, "inactive_threshold": JetStream.nanos(.seconds(10)),
            ])
        defer { Task { try? await js.deleteConsumer(stream: subjects.stream, name: consumer) } }
        // A watchdog: a consumer that says nothing (not even a heartbeat) is gone.
        // Counted, not timed, per message: the watchdog sees whether it moved.
        let heard = Atomic<Int>(0)
        let timeout = config.heartbeatTimeout
        let watchdog = Task {
            var seen = -1
            var since = ContinuousClock.now
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(500))
                let now = heard.load(ordering: .relaxed)
                if now != seen {
                    seen = now
                    since = .now
                } else if ContinuousClock.now - since > timeout {
                    connection.close()
                    return
                }
            }
        }
        defer { watchdog.cancel() }
        var expected: UInt64 = 1
        var lastStatus = clock()
        for await m in sub.messages {
            heard.add(1, ordering: .relaxed)
            if m.status == 100 {
                // Flow control asks for an answer; a heartbeat says the consumer lives.
                if let reply = m.replyTo { connection.publish(reply, payload: []) }
                // A heartbeat of a consumer stalled on a flow-control answer
                // that never arrived names where to send it.
                if let stalled = m.header("Nats-Consumer-Stalled") { connection.publish(stalled, payload: []) }
                // A heartbeat also says what the consumer last delivered: more
                // than arrived here is a gap (a delivery lost on the way).
                if m.replyTo == nil, let last = m.header("Nats-Last-Consumer").flatMap(UInt64.init), last >= expected {
                    throw Restart.resume("the consumer delivered \(last), \(expected - 1) arrived")
                }
                continue
            }
            guard let reply = m.replyTo, let at = DeliveryInfo(replySubject: reply) else { continue }
            guard at.consumerSeq == expected else { throw Restart.resume("consumer sequence \(at.consumerSeq), expected \(expected)") }
            expected += 1
            // One look at the position and the epoch decides, before anything is decoded.
            let epoch = m.header(Self.epochHeader)
            let step = shared.withLock { s -> Step in
                guard at.streamSeq > s.lastStreamSeq ?? 0 else { return .skip }
                if let epoch, s.retired.contains(epoch) {
                    // A publisher that lost its place, late: its events are in the snapshot applied.
                    s.lastStreamSeq = at.streamSeq
                    return .skip
                }
                if let epoch, let known = s.epoch, epoch != known { return .newEpoch(epoch) }
                if s.epoch == nil { s.epoch = epoch }
                return .apply
            }
            switch step {
            case .skip: continue
            case .newEpoch(let epoch): throw Restart.fromSnapshot("a new epoch of publishing (\(epoch.prefix(40)))")
            case .apply: break
            }
            let envelope: Envelope
            do {
                envelope = try EnvelopeCodec.decode(m.payload)
            } catch {
                shared.withLock { s in
                    s.stats[0].decodeErrors += 1
                    s.lastStreamSeq = at.streamSeq
                }
                logger.warning("NATS: stream message \(at.streamSeq) is not protocol v1: \(error.message)")
                continue
            }
            deliver(envelope, streamSeq: at.streamSeq, endpoint: i)
            let now = clock()
            if now.millis(since: lastStatus) >= 1_000 {
                lastStatus = now
                setStatus(.live(since: now, lastFrameAt: now))
            }
        }
        if let why = connection.closedReason { throw NATSError.closed(why) }
        throw NATSError.closed("the consumer ended")
    }

    /// Command answers (and "no responders") into the queue.
    private func forwardReplies(_ sub: NATSConnection.Subscription, endpoint i: Int) async {
        for await m in sub.messages {
            let n = String(m.subject.split(separator: ".").last ?? "")
            let pending = shared.withLock { $0.pendingCommands[n] }
            if m.status == 503 {
                guard let pending else { continue }
                let cluster = shared.withLock { $0.cluster } ?? "?"
                let refusal = Envelope(
                    id: "nats-no-responders-\(pending.requestID)", source: "nats", seq: 0, timestamp: clock(),
                    event: .commandResult(
                        CommandResult(
                            requestID: pending.requestID, op: pending.op, status: .rejected,
                            reason: "no gateway answers commands for \(cluster) on NATS (no responders): nothing was run")))
                _ = queue.push(Received(envelope: refusal, endpoint: 0, receivedAt: clock()))
                continue
            }
            do {
                let e = try EnvelopeCodec.decode(m.payload)
                _ = queue.push(Received(envelope: e, endpoint: 0, receivedAt: clock()))
            } catch {
                shared.withLock { $0.stats[0].decodeErrors += 1 }
            }
        }
    }
}
