import ClusterProtocol
import ClusterState
import EventSources
import Foundation
import Logging
import NATSClient
import Synchronization

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
    let clock: @Sendable () -> Timestamp
    let logger: Logger
    let shared = Mutex(Shared())
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
        /// Nobody holds the publishing lease (read every few seconds).
        var noPublisher = false
        /// What the active publisher last said of itself, and when it was heard.
        var publisherStatus: PublisherStatus?
        var statusHeardAt: ContinuousClock.Instant?
        /// An epoch the publisher says it publishes that this reader has
        /// not seen (a quiet stream after a new epoch): looked into by the
        /// consumer at its next message.
        var announcedEpoch: String?
        /// The epoch to start again at, and the stream sequence its first
        /// snapshot comes after.
        var seekEpoch: (epoch: String, after: UInt64)?
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

    func setStatus(_ status: EndpointStatus) {
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
        /// A new epoch: start again from the snapshot that opens it (the
        /// first of it after the last stream sequence applied).
        case toEpoch(String, after: UInt64)
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
        var attempt = 0
        do {
            let subjects = try await findCluster(js)
            let commandReplies = connection.subscribe("\(connection.inbox).cmd.*")
            let replies = Task { await forwardReplies(commandReplies, endpoint: i) }
            defer { replies.cancel() }
            // What the active publisher says of itself (core NATS: heard
            // even while JetStream can neither store nor serve).
            let statuses = connection.subscribe(subjects.status)
            let statusTask = Task { await followPublisherStatus(statuses) }
            defer { statusTask.cancel() }
            // Which publisher (gateway) is active, read from its lease every few seconds.
            let lease = Task { [self] in
                while !Task.isCancelled {
                    let holder: JetStream.StoredMessage?
                    do {
                        holder = try await js.lastMessage(stream: ClusterSubjects.leaseStream, subject: subjects.active)
                    } catch {
                        // JetStream that cannot answer says nothing of the lease.
                        try? await Task.sleep(for: .seconds(3))
                        continue
                    }
                    let name = holder.map { String(decoding: $0.data.prefix(80), as: UTF8.self) }
                    self.shared.withLock {
                        $0.stats[0].detail = "via \(address.host):\(address.port), active publisher \(name ?? "none")"
                        $0.noPublisher = name == nil
                    }
                    self.refreshWarning()
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
                do {
                    try await startIfNeeded(js, subjects: subjects, endpoint: i)
                } catch  where Self.isJetStreamUnavailable(error) {
                    // No stream leader (an election, or no quorum): asked
                    // again each second on this connection, which still
                    // hears the publisher's status.
                    attempt += 1
                    setStatus(.connecting(attempt: attempt, lastError: "JetStream cannot serve \(subjects.stream) now: \(error)"))
                    try await Task.sleep(for: .seconds(1))
                    continue
                }
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
                } catch Restart.toEpoch(let epoch, let after) {
                    logger.notice("NATS \(address): a new epoch of publishing (\(epoch.prefix(40))): starting again from its first snapshot")
                    shared.withLock {
                        $0.lastStreamSeq = nil
                        $0.seekEpoch = (epoch, after)
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
}
