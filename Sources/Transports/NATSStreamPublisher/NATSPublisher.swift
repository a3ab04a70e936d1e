import ClusterProtocol
import ClusterState
import EventSources
import Foundation
import Logging
import NATSClient
import NATSStreamSource
import ProtocolV1Server
import ServiceLifecycle
import Synchronization

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
    /// A publish found no stream to answer (a leader being elected): the next
    /// session waits until the stream has a leader again before it publishes.
    let streamUnavailable = Atomic<Bool>(false)

    struct Shared {
        var stats = NATSPublisherStats()
        /// Reply subjects of commands whose result is still to come, by request id.
        var replies = BoundedDictionary<String, String>(capacity: 1_000)
        /// The epoch being published (empty before the first).
        var epochID = ""
        /// The epoch of the last message known stored (`PublishWindow.storedEpoch`).
        var storedEpochID: String?
        /// The epochs this publisher began, newest last (at most 16): a
        /// snapshot of any of them means no other publisher began one since.
        var ownEpochs: [String] = []
    }

    public init(core: StreamCore<Engine>, config: NATSPublishConfig, logger: Logger) {
        self.core = core
        self.config = config
        self.logger = logger
    }

    public var stats: NATSPublisherStats { shared.withLock { $0.stats } }

    /// Runs until cancelled.
    public func run() async {
        let lease = Lease(subject: config.subjects.active, holder: config.instance, lease: config.lease)
        var epoch = Epoch(instance: config.instance)
        var unacked = PublishWindow()
        var nextAck = 0
        var serverIndex = 0
        var failures = 0
        /// Sessions in a row that ended within 2 s of starting.
        var quickEnds = 0
        var held = HeldEnvelopes(maxCount: config.holdLimit, maxBytes: config.holdBytes)
        var (subscriber, batches) = await core.subscribe(resume: nil, covering: nil)
        var iterator = batches.makeAsyncIterator()
        // A tick four times a second, as an empty batch in the core's stream:
        // the lease, the acknowledgements and the snapshot timer are looked at
        // even while the cluster is quiet.
        let current = CurrentSubscriber(subscriber)
        let ticker = Task { [core, current] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(250))
                await core.nudge(current.id.withLock { $0 })
            }
        }
        defer {
            ticker.cancel()
            let id = current.id.withLock { $0 }
            Task { [core] in await core.unsubscribe(id) }
        }
        /// Waits `pause` between connections, holding what the core sends
        /// meanwhile (the ticker wakes it); false when the core dropped us.
        func pause(_ pause: Duration) async -> Bool {
            let until = ContinuousClock.now + pause
            while ContinuousClock.now < until, !Task.isCancelled {
                guard let texts = await iterator.next() else { return false }
                if let last = texts.last { epoch.lastRead = last }
                if lease.standing == .standby {
                    letGo(&held, &unacked, epoch: &epoch)
                    if !texts.isEmpty { epoch.skipped = true }
                } else {
                    hold(texts, in: &held, epoch: &epoch)
                }
            }
            return true
        }
        func resubscribe() async {
            // Too slow for the core: subscribe again (it starts with a snapshot).
            epoch.coreDropped(standby: lease.standing == .standby)
            (subscriber, batches) = await core.subscribe(resume: nil, covering: nil)
            iterator = batches.makeAsyncIterator()
            current.id.withLock { $0 = subscriber }
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
                    if await !pause(.milliseconds(min(5_000, 250 * (1 << min(round, 5))))) { await resubscribe() }
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
            let started = ContinuousClock.now
            let ended = await session.run(
                subscriber: subscriber, iterator: &iterator, unacked: &unacked, nextAck: &nextAck, epoch: &epoch, held: &held)
            connection.close()
            shared.withLock {
                $0.stats.server = nil
                $0.stats.active = false
            }
            switch ended {
            case .cancelled:
                return
            case .coreDropped:
                await resubscribe()
                serverIndex -= 1
            case .connectionLost(let why):
                note(error: "\(address): \(why)")
                // A session that ended at once is tried again after a pause
                // that grows (at most 5 s), never in a tight loop.
                if ContinuousClock.now - started < .seconds(2) {
                    quickEnds += 1
                    if await !pause(.milliseconds(min(5_000, 250 << min(quickEnds - 1, 5)))) { await resubscribe() }
                } else {
                    quickEnds = 0
                }
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

    /// Keeps `texts` for later; past the bound, says once that history is
    /// being lost (the next epoch opens with a snapshot).
    func hold(_ texts: [String], in held: inout HeldEnvelopes, epoch: inout Epoch) {
        guard !texts.isEmpty else { return }
        let wasLost = held.lost != nil
        // The first held one's own time: where a stretch lost would begin.
        let at = held.isEmpty && !wasLost ? (try? EnvelopeCodec.decode(texts[0]))?.timestamp ?? wallClockNow() : wallClockNow()
        if !held.hold(texts, at: at) {
            epoch.skipped = true
            if !wasLost, let lost = held.lost {
                logger.warning(
                    "NATS: \(lost.events) events held since \(lost.from.clockTime) pass the bound (\(config.holdLimit) events, \(config.holdBytes) bytes): dropped; readers will show the stretch as lost"
                )
            }
        }
        noteHeld(held)
    }

    /// The lease went to another publisher: what this one held or had not
    /// seen acknowledged it will never publish, and the other's epoch opens
    /// with its own snapshot: that stretch is lost, said now.
    func letGo(_ held: inout HeldEnvelopes, _ unacked: inout PublishWindow, epoch: inout Epoch) {
        if let lost = Self.stretchLost(held: held, unacked: unacked, epoch: &epoch) {
            recordLoss(lost, to: wallClockNow(), why: "the lease went to another publisher")
        }
        held.reset()
        unacked.removeAll()
        noteHeld(held)
    }

    /// Everything that went by unpublished (taken out of `epoch`), held, or
    /// not known to be stored: from its earliest, how many (nil: nothing).
    static func stretchLost(held: HeldEnvelopes, unacked: PublishWindow, epoch: inout Epoch) -> (from: Timestamp, events: Int)? {
        var parts: [(from: Timestamp, events: Int)] = []
        if let l = epoch.takeLost() { parts.append(l) }
        if let l = held.lost { parts.append(l) }
        if let since = held.since { parts.append((since, held.count)) }
        if let first = unacked.first { parts.append((first.at, unacked.events)) }
        guard let from = parts.map(\.from).min() else { return nil }
        return (from, parts.reduce(0) { $0 + $1.events })
    }

    /// Says (in the stats, the status subject and the log) that history
    /// from `lost.from` to `to` may be lost; `extending` the stretch said
    /// before (its epoch never reached the stream: one stretch for readers).
    func recordLoss(_ lost: (from: Timestamp, events: Int), to: Timestamp, why: String, extending: Bool = false) {
        let from = shared.withLock { s in
            let from = extending ? min(s.stats.lostFrom ?? lost.from, lost.from) : lost.from
            s.stats.lostFrom = from
            s.stats.lostTo = to
            s.stats.lostEvents += lost.events
            if extending, var last = s.stats.lostWindows.popLast() {
                last.from = from
                last.to = to
                last.events += lost.events
                s.stats.lostWindows.append(last)
            } else {
                s.stats.lostWindows.append(LostWindow(from: from, to: to, events: lost.events))
                if s.stats.lostWindows.count > 16 { s.stats.lostWindows.removeFirst(s.stats.lostWindows.count - 16) }
            }
            return from
        }
        logger.warning("history lost \(from.clockTime)-\(to.clockTime): \(lost.events) events not published (\(why))")
    }

    func noteHeld(_ held: HeldEnvelopes) {
        shared.withLock { s in
            s.stats.held = held.count
            s.stats.heldSince = held.since ?? held.lost?.from
            s.stats.heldPastBound = held.lost?.events ?? 0
        }
    }

    /// What the status subject says now.
    func status(held: HeldEnvelopes, waitingFor: String?) -> PublisherStatus {
        let s = stats
        var out = PublisherStatus(
            publisher: config.instance, at: wallClockNow(), held: held.count, heldSince: held.since ?? held.lost?.from, waitingFor: waitingFor)
        out.epoch = shared.withLock { $0.epochID.isEmpty ? nil : $0.epochID }
        out.lostFrom = s.lostFrom
        out.lostTo = s.lostTo
        out.lostEvents = s.lostEvents > 0 ? Int64(s.lostEvents) : nil
        return out
    }

    /// JetStream did not store a publish: nothing more is published until
    /// the stream has a leader again (said once, not once per publish).
    func streamNotStoring(_ why: String) {
        if !streamUnavailable.exchange(true, ordering: .relaxed) {
            note(error: why)
            shared.withLock { $0.stats.awaitingStreamLeader = true }
        }
    }

    func note(error: String) {
        logger.warning("NATS: \(error)")
        shared.withLock { $0.stats.lastError = error }
    }

    /// The core subscription now (the ticker nudges it).
    final class CurrentSubscriber: Sendable {
        let id: Mutex<Int>
        init(_ id: Int) { self.id = Mutex(id) }
    }

    enum SessionEnd {
        case cancelled
        case coreDropped
        case connectionLost(String)
    }
}
