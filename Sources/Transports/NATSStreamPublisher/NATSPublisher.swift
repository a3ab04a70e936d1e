import ClusterProtocol
import ClusterState
import DequeModule
import EventSources
import Foundation
import Logging
import NATSClient
import NATSStreamSource
import ProtocolV1Server
import ServiceLifecycle
import Synchronization

/// How `--publish` puts a stream on NATS JetStream.
public struct NATSPublishConfig: Sendable {
    public var servers: [NATSAddress]
    public var subjects: ClusterSubjects
    public var credentials = NATSCredentials()
    /// Stream replicas (1-5; more than the NATS cluster has is refused by JetStream).
    public var replicas = 3
    /// Events older than this are dropped by JetStream (a snapshot is published often enough to stay).
    public var maxAge: Duration = .seconds(3_600)
    public var maxBytes: Int64 = 64 << 20
    /// A fresh snapshot at least this often (and whenever publishing starts).
    public var snapshotEvery: Duration = .seconds(10)
    /// Envelopes published but not yet acknowledged, at most.
    public var window = 10_000
    /// How long the active gateway's lease lives unrenewed: it renews it
    /// every sixth of this; a standby takes over once it lapses.
    public var lease: Duration = .seconds(6)
    /// Refuse every command that comes by NATS.
    public var readOnly = false
    /// This publisher's name in the lease and the logs.
    public var instance = "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)"

    public init(servers: [NATSAddress], subjects: ClusterSubjects) {
        self.servers = servers
        self.subjects = subjects
    }

    /// The stream's configuration for JetStream.
    var streamConfig: [String: Any] {
        [
            "name": subjects.stream, "subjects": [subjects.events, subjects.snapshot], "retention": "limits", "storage": "file",
            "num_replicas": replicas, "max_age": JetStream.nanos(maxAge), "max_bytes": maxBytes, "discard": "old",
            "duplicate_window": JetStream.nanos(.seconds(120)), "max_msg_size": EnvelopeCodec.maxFrameBytes,
        ]
    }

    /// The stream of every cluster's lease.
    public static let leaseStream = ClusterSubjects.leaseStream

    /// The leases' stream: one message per cluster, gone after `lease`.
    var leaseStreamConfig: [String: Any] {
        [
            "name": Self.leaseStream, "subjects": ["clusterdash.*.active"], "retention": "limits", "storage": "memory",
            "num_replicas": replicas, "max_age": JetStream.nanos(lease), "max_msgs_per_subject": 1, "discard": "old",
            "duplicate_window": JetStream.nanos(.seconds(1)),
        ]
    }
}

/// What the publisher has done, for the logs and the tests.
public struct NATSPublisherStats: Sendable, Equatable {
    public var published = 0
    public var acknowledged = 0
    public var duplicates = 0
    public var republished = 0
    public var snapshots = 0
    public var publishErrors = 0
    public var connections = 0
    public var commands = 0
    /// Publishes JetStream answered "no responders" (no stream leader).
    public var noResponders = 0
    /// Envelopes waiting for an acknowledgement now.
    public var unacknowledged = 0
    /// Epochs begun (1 for a publisher that never lost its place).
    public var epochs = 0
    public var active = false
    /// The NATS server connected to now, if any.
    public var server: String?
    public var lastError: String?
}

/// Publishes a protocol-v1 server's stream (the simulator's or a gateway's)
/// to JetStream: it subscribes to the `StreamCore` like any dashboard, so it
/// gets a snapshot, then every event in order, then a snapshot again every
/// `snapshotEvery`. Each envelope is published with its id as `Nats-Msg-Id`
/// and kept until JetStream acknowledges it; after a reconnect (to the next
/// server given) the unacknowledged ones are published again and stored once.
/// Commands that come by request/reply on `clusterdash.<cluster>.cmd` are run
/// by the core, and their result goes back to the reply subject alone.
///
/// Two publishers of one cluster (two gateways) share a lease in
/// `CLUSTERDASH_LEASES`: only the holder publishes and answers commands;
/// the other waits, and takes over when the lease lapses.
public final class NATSPublisher<Engine: ServedEngine>: Sendable {
    let core: StreamCore<Engine>
    public let config: NATSPublishConfig
    let logger: Logger
    let shared = Mutex(Shared())
    /// The streams exist with this config (false again when a publish finds none).
    let prepared = Atomic<Bool>(false)

    struct Shared {
        var stats = NATSPublisherStats()
        /// Reply subjects of commands whose result is still to come, by request id.
        var replies = BoundedDictionary<String, String>(capacity: 1_000)
        /// The epoch being published (empty before the first).
        var epochID = ""
    }

    public init(core: StreamCore<Engine>, config: NATSPublishConfig, logger: Logger) {
        self.core = core
        self.config = config
        self.logger = logger
    }

    public var stats: NATSPublisherStats { shared.withLock { $0.stats } }

    struct Pending {
        var subject: String
        var headers: [NATSHeader]
        var payload: [UInt8]
        var ack: Int
    }

    /// Runs until cancelled.
    public func run() async {
        let lease = Lease(subject: config.subjects.active, holder: config.instance, lease: config.lease)
        var epoch = Epoch(instance: config.instance)
        var unacked = Deque<Pending>()
        var nextAck = 0
        var serverIndex = 0
        var failures = 0
        var (subscriber, batches) = await core.subscribe(resume: nil, covering: nil)
        var iterator = batches.makeAsyncIterator()
        // A tick four times a second, as an empty batch in the core's stream:
        // the lease, the acknowledgements and the snapshot timer are looked at
        // even while the cluster is quiet.
        let current = Mutex(subscriber)
        let ticker = Task { [core] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(250))
                await core.nudge(current.withLock { $0 })
            }
        }
        defer {
            ticker.cancel()
            let id = current.withLock { $0 }
            Task { [core] in await core.unsubscribe(id) }
        }
        while !Task.isCancelled {
            let address = config.servers[serverIndex % config.servers.count]
            serverIndex += 1
            let connection: NATSConnection
            do {
                connection = try await NATSConnection.connect(
                    address, credentials: config.credentials, name: "clusterdash publisher \(config.subjects.cluster)", logger: logger)
                // The streams are made (or brought to this config) once: after
                // a server died, JetStream may need seconds to elect leaders,
                // and publishing must not wait for that.
                if !prepared.load(ordering: .relaxed) {
                    do {
                        try await prepare(JetStream(connection))
                        prepared.store(true, ordering: .relaxed)
                    } catch {
                        connection.close()
                        throw error
                    }
                }
            } catch {
                note(error: "\(address): \(error)")
                failures += 1
                // Each server once at once; then wait, longer each round (at most 5 s).
                if failures % config.servers.count == 0 {
                    let round = failures / config.servers.count
                    try? await Task.sleep(for: .milliseconds(min(5_000, 250 * (1 << min(round, 5)))))
                }
                continue
            }
            failures = 0
            shared.withLock {
                $0.stats.connections += 1
                $0.stats.server = address.description
            }
            logger.notice("publishing \(config.subjects.cluster) to \(address) (stream \(config.subjects.stream))")
            let session = Session(publisher: self, connection: connection, lease: lease)
            let ended = await session.run(subscriber: subscriber, iterator: &iterator, unacked: &unacked, nextAck: &nextAck, epoch: &epoch)
            connection.close()
            shared.withLock {
                $0.stats.server = nil
                $0.stats.active = false
            }
            switch ended {
            case .cancelled:
                return
            case .coreDropped:
                // Too slow for the core: subscribe again (it starts with a snapshot).
                (subscriber, batches) = await core.subscribe(resume: nil, covering: nil)
                iterator = batches.makeAsyncIterator()
                current.withLock { $0 = subscriber }
                serverIndex -= 1
            case .connectionLost(let why):
                note(error: "\(address): \(why)")
            }
        }
    }

    func prepare(_ js: JetStream) async throws {
        do {
            _ = try await js.ensureStream(config.streamConfig)
            _ = try await js.ensureStream(config.leaseStreamConfig)
        } catch let e as JetStream.APIError
            where e.errCode == JetStream.APIError.replicasTooMany || e.errCode == JetStream.APIError.insufficientResources
        {
            throw NATSError.invalid("\(e.text): --publish-replicas \(config.replicas) needs that many JetStream servers")
        }
    }

    func note(error: String) {
        logger.warning("NATS: \(error)")
        shared.withLock { $0.stats.lastError = error }
    }

    enum SessionEnd {
        case cancelled
        case coreDropped
        case connectionLost(String)
    }

    /// One connection's life.
    struct Session {
        let publisher: NATSPublisher
        let connection: NATSConnection
        let lease: Lease
        var config: NATSPublishConfig { publisher.config }

        func run(
            subscriber: Int, iterator: inout AsyncStream<[String]>.Iterator, unacked: inout Deque<Pending>, nextAck: inout Int,
            epoch: inout Epoch
        ) async -> SessionEnd {
            let acks = connection.subscribe("\(connection.inbox).ack.*")
            let box = AckBox()
            let js = JetStream(connection)
            // The lease first: nothing is published without it.
            // A lease that lapsed (not renewed in time, as while JetStream
            // elects a leader) is taken again at once, in the same epoch, only
            // if no other publisher began one meanwhile: every epoch opens
            // with a snapshot, and the last snapshot stored is still ours.
            let stream = config.subjects.stream
            let snapshots = config.subjects.snapshot
            let leaseTask = Task { [publisher] in
                await lease.run(js) {
                    let ours = publisher.shared.withLock { $0.epochID }
                    guard !ours.isEmpty else { return false }
                    // JetStream that cannot answer yet (the events stream
                    // electing a leader) is no answer: the lease stays
                    // unsure and is asked about again, never given up.
                    let last: JetStream.StoredMessage?
                    do { last = try await js.lastMessage(stream: stream, subject: snapshots) } catch { return nil }
                    return last?.headers.first { $0.name == NATSSource.epochHeader }?.value == ours
                }
            }
            defer { leaseTask.cancel() }
            let ackTask = Task { [publisher] in
                for await m in acks.messages {
                    guard let n = Int(m.subject.split(separator: ".").last ?? "") else { continue }
                    if m.status == 503 {
                        // No stream answered (a leader being elected, or the
                        // stream is gone): a new connection publishes again.
                        publisher.shared.withLock { $0.stats.noResponders += 1 }
                        publisher.note(error: "no stream answered a publish to \(publisher.config.subjects.events)")
                        connection.close()
                        continue
                    }
                    do {
                        let a = try JetStream.pubAck(m.payload)
                        box.acknowledged(n)
                        publisher.shared.withLock { s in
                            s.stats.acknowledged += 1
                            if a.duplicate { s.stats.duplicates += 1 }
                        }
                    } catch {
                        // Not stored ("JetStream system temporarily
                        // unavailable" while a leader is elected): it stays
                        // unacknowledged and a new connection publishes it again.
                        publisher.shared.withLock { s in
                            s.stats.publishErrors += 1
                            s.stats.lastError = "\(error)"
                        }
                        connection.close()
                    }
                }
            }
            defer { ackTask.cancel() }
            var commands: NATSConnection.Subscription?
            var commandTask: Task<Void, Never>?
            defer { commandTask?.cancel() }
            var lastSnapshot = ContinuousClock.now
            var wasActive = false
            var wasAnswering = false
            while !Task.isCancelled {
                if let why = connection.closedReason { return .connectionLost(why) }
                let standing = lease.standing
                let active = standing == .holding
                if active != wasActive {
                    wasActive = active
                    publisher.shared.withLock { $0.stats.active = active }
                    if active {
                        publisher.logger.notice("active for \(config.subjects.cluster): publishing and answering commands")
                        if epoch.skipped || !epoch.started {
                            // Events went by unpublished (or nothing was
                            // published yet): a new epoch, which opens with a
                            // snapshot; readers that see it start again there.
                            // What waited for an acknowledgement is in that
                            // snapshot: sent again it would only come after it.
                            unacked.removeAll()
                            epoch.renew()
                            publisher.shared.withLock { s in
                                s.stats.epochs += 1
                                s.epochID = epoch.id
                            }
                        } else {
                            // What was not acknowledged goes again (stored once, by its id).
                            republish(&unacked, nextAck: &nextAck, box: box)
                        }
                        await publisher.core.sendSnapshot(to: subscriber)
                        lastSnapshot = .now
                    } else if standing == .unsure {
                        publisher.logger.notice("the lease of \(config.subjects.cluster) is not renewed: events wait until it is")
                    } else {
                        publisher.logger.notice("standby for \(config.subjects.cluster): another gateway holds the lease")
                    }
                }
                // Commands are answered while the lease is held, even while
                // JetStream cannot renew it (they need no JetStream); in a
                // queue group, so that two gateways never both get one.
                let answering = standing != .standby
                if answering != wasAnswering {
                    wasAnswering = answering
                    if answering {
                        let sub = connection.subscribe(config.subjects.commands, queue: "clusterdash-gateways")
                        commands = sub
                        commandTask = Task { await serveCommands(sub, subscriber: subscriber) }
                    } else {
                        if let c = commands { connection.unsubscribe(c.sid) }
                        commandTask?.cancel()
                        commands = nil
                    }
                }
                // Acknowledged ones leave the window.
                while let first = unacked.first, box.take(first.ack) { unacked.removeFirst() }
                publisher.shared.withLock { $0.stats.unacknowledged = unacked.count }
                if let oldest = unacked.first, let age = box.age(of: oldest.ack), age > .seconds(5) {
                    return .connectionLost("no acknowledgement for 5 s")
                }
                if unacked.count >= config.window {
                    try? await Task.sleep(for: .milliseconds(5))
                    continue
                }
                if active, ContinuousClock.now - lastSnapshot >= config.snapshotEvery {
                    lastSnapshot = .now
                    await publisher.core.sendSnapshot(to: subscriber)
                }
                if lease.standing == .unsure {
                    // The events wait in the core (bounded there) until the lease is renewed or lost.
                    try? await Task.sleep(for: .milliseconds(50))
                    continue
                }
                guard let texts = await iterator.next() else {
                    epoch.skipped = true
                    return .coreDropped
                }
                // An empty batch is the ticker's.
                guard !texts.isEmpty else { continue }
                guard active else {
                    epoch.skipped = true
                    continue
                }
                var out: [(subject: String, replyTo: String?, headers: [NATSHeader], payload: [UInt8])] = []
                for text in texts {
                    guard let item = route(text, epoch: epoch.id) else { continue }
                    if let reply = item.reply {
                        out.append((reply, nil, [], item.payload))
                        continue
                    }
                    // A new epoch begins with its snapshot: what comes before it is in it.
                    if epoch.awaitingSnapshot {
                        guard item.isSnapshot else { continue }
                        epoch.awaitingSnapshot = false
                    }
                    nextAck += 1
                    let p = Pending(subject: item.subject, headers: item.headers, payload: item.payload, ack: nextAck)
                    box.sent(nextAck)
                    unacked.append(p)
                    out.append((p.subject, "\(connection.inbox).ack.\(p.ack)", p.headers, p.payload))
                    if item.isSnapshot { publisher.shared.withLock { $0.stats.snapshots += 1 } }
                }
                connection.publish(batch: out)
                publisher.shared.withLock { $0.stats.published += out.count }
            }
            return .cancelled
        }

        struct Routed {
            var subject: String
            var headers: [NATSHeader]
            var payload: [UInt8]
            /// Set for a command's result: it goes to the asker, not the stream.
            var reply: String?
            var isSnapshot = false
        }

        /// Where one envelope goes.
        func route(_ text: String, epoch: String) -> Routed? {
            let e: Envelope
            do { e = try EnvelopeCodec.decode(text) } catch {
                publisher.note(error: "the core served an undecodable envelope: \(error.message)")
                return nil
            }
            let payload = Array(text.utf8)
            let headers = [NATSHeader("Nats-Msg-Id", e.id), NATSHeader(NATSSource.epochHeader, epoch)]
            switch e.event {
            case .commandResult(let r) where e.seq == 0:
                guard let id = r.requestID else { return nil }
                let reply = publisher.shared.withLock { s -> String? in
                    let to = s.replies[id]
                    if r.status != .accepted { s.replies[id] = nil }
                    return to
                }
                guard let reply else { return nil }
                return Routed(subject: "", headers: [], payload: payload, reply: reply)
            case .snapshot:
                return Routed(subject: config.subjects.snapshot, headers: headers, payload: payload, isSnapshot: true)
            default:
                return Routed(subject: config.subjects.events(of: e.source), headers: headers, payload: payload)
            }
        }

        func republish(_ unacked: inout Deque<Pending>, nextAck: inout Int, box: AckBox) {
            guard !unacked.isEmpty else { return }
            var out: [(subject: String, replyTo: String?, headers: [NATSHeader], payload: [UInt8])] = []
            for i in unacked.indices {
                nextAck += 1
                unacked[i].ack = nextAck
                box.sent(nextAck)
                out.append((unacked[i].subject, "\(connection.inbox).ack.\(nextAck)", unacked[i].headers, unacked[i].payload))
            }
            connection.publish(batch: out)
            publisher.shared.withLock { $0.stats.republished += out.count }
        }

        /// Commands by request/reply: run by the core; the result comes back
        /// through the subscription and goes to the reply subject.
        func serveCommands(_ sub: NATSConnection.Subscription, subscriber: Int) async {
            for await m in sub.messages {
                guard let reply = m.replyTo else { continue }
                publisher.shared.withLock { $0.stats.commands += 1 }
                let text = String(decoding: m.payload, as: UTF8.self)
                let op: ClientOp
                do {
                    op = try ClientOpCodec.decode(text)
                } catch {
                    let answer = await publisher.core.invalidRequest(requestID: error.requestID, op: error.op)
                    connection.publish(reply, payload: Array(answer.utf8))
                    continue
                }
                guard let id = op.requestID else { continue }
                if config.readOnly {
                    let refusal = Envelope(
                        id: "nats-refusal-\(id)", source: "gateway", seq: 0, timestamp: wallClockNow(),
                        event: .commandResult(
                            CommandResult(requestID: id, op: op.op, status: .rejected, reason: "read-only: this gateway runs no command")))
                    connection.publish(reply, payload: EnvelopeCodec.encode(refusal))
                    continue
                }
                publisher.shared.withLock { $0.replies[id] = reply }
                await publisher.core.command(op, scope: .operate, from: subscriber, requestedBy: "nats")
            }
        }
    }
}

/// Publishes sent and acknowledged, by their ack number (one session's).
final class AckBox: Sendable {
    private let state = Mutex<(sent: [Int: ContinuousClock.Instant], acked: Set<Int>)>(([:], []))

    func sent(_ n: Int) { state.withLock { $0.sent[n] = .now } }
    func acknowledged(_ n: Int) { state.withLock { s in if s.sent[n] != nil { s.acked.insert(n) } } }

    /// True (and forgotten) when `n` was acknowledged.
    func take(_ n: Int) -> Bool {
        state.withLock { s in
            guard s.acked.remove(n) != nil else { return false }
            s.sent[n] = nil
            return true
        }
    }

    /// How long `n` has waited; nil when it was not sent in this session.
    func age(of n: Int) -> Duration? {
        state.withLock { s in s.sent[n].map { ContinuousClock.now - $0 } }
    }
}

/// Which run of publishing the stream's events belong to
/// (`Clusterdash-Epoch`): a new one whenever events went by unpublished, so
/// readers know to start again from the snapshot that opens it.
struct Epoch {
    let instance: String
    var id = ""
    var started = false
    /// Events went by unpublished since the epoch began.
    var skipped = false
    /// Nothing of this epoch is published before its snapshot.
    var awaitingSnapshot = false

    init(instance: String) { self.instance = instance }

    mutating func renew() {
        id = "\(instance)-\(UInt32.random(in: 0...UInt32.max))"
        started = true
        skipped = false
        awaitingSnapshot = true
    }
}

/// The active/standby lease: a message on `clusterdash.<cluster>.active` in a
/// stream whose messages live `lease` long. The holder renews it with
/// `Nats-Expected-Last-Subject-Sequence` set to its own last one; anyone
/// else's attempt (expecting none) fails while it lives. It outlives a
/// connection: after a reconnect the holder renews what it holds.
final class Lease: Sendable {
    let subject: String
    let holder: String
    let lease: Duration
    private let state = Mutex<(active: Bool, seq: UInt64, renewed: ContinuousClock.Instant?)>((false, 0, nil))

    init(subject: String, holder: String, lease: Duration) {
        self.subject = subject
        self.holder = holder
        self.lease = lease
    }

    enum Standing {
        /// Renewed within two thirds of its life: publish.
        case holding
        /// Held, but not renewed for a while (NATS trouble): neither publish
        /// nor let events go by; wait to learn which.
        case unsure
        /// Another holds it, or nobody had it yet.
        case standby
    }

    var standing: Standing {
        state.withLock { s in
            guard s.active, let r = s.renewed else { return .standby }
            return ContinuousClock.now - r < lease * 2 / 3 ? .holding : .unsure
        }
    }

    var isActive: Bool { standing == .holding }

    /// Holds or seeks the lease through `js` until cancelled. When the lease
    /// held lapsed and nobody holds it now, it is taken again at once if
    /// `resumable` says nothing was published meanwhile: the holder goes on
    /// (unsure, then holding) without a new epoch, rather than through
    /// standby, which lets events go by and so needs one.
    ///
    /// `resumable` answers nil when it cannot tell (JetStream not answering):
    /// the lease then stays as it is (unsure, as its renewal is late) and is
    /// tried again, since going to standby on no answer lets events go by
    /// and costs every reader a new epoch.
    func run(_ js: JetStream, resumable: @Sendable () async -> Bool? = { false }) async {
        while !Task.isCancelled {
            let (active, seq, _) = state.withLock { $0 }
            do {
                let ack = try await js.publish(
                    subject, headers: [NATSHeader("Nats-Expected-Last-Subject-Sequence", active ? String(seq) : "0")],
                    payload: Array(holder.utf8))
                state.withLock { $0 = (true, ack.seq, .now) }
            } catch let e as JetStream.APIError where e.errCode == JetStream.APIError.wrongLastSequence {
                if active {
                    switch await resumable() {
                    case .some(true):
                        // Taken again only if nobody took it meanwhile
                        // (expecting none); a failure here is tried again.
                        do {
                            let ack = try await js.publish(
                                subject, headers: [NATSHeader("Nats-Expected-Last-Subject-Sequence", "0")], payload: Array(holder.utf8))
                            state.withLock { $0 = (true, ack.seq, .now) }
                        } catch let e as JetStream.APIError where e.errCode == JetStream.APIError.wrongLastSequence {
                            state.withLock { $0 = (false, 0, nil) }
                        } catch {
                            // No answer: still unsure.
                        }
                    case .some(false):
                        state.withLock { $0 = (false, 0, nil) }
                    case nil:
                        break
                    }
                } else {
                    state.withLock { $0 = (false, 0, nil) }
                }
            } catch {
                // NATS trouble: `isActive` lapses on its own.
            }
            try? await Task.sleep(for: lease / 6)
        }
    }
}

/// The publisher as a service of the server it publishes (`sim`, `gateway`):
/// it stops when the server does.
public struct NATSPublisherService<Engine: ServedEngine>: Service {
    public let publisher: NATSPublisher<Engine>

    public init(_ publisher: NATSPublisher<Engine>) { self.publisher = publisher }

    public func run() async throws {
        await cancelWhenGracefulShutdown { await publisher.run() }
    }
}
