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

extension NATSPublisher {
    /// One connection's life.
    struct Session {
        let publisher: NATSPublisher
        let connection: NATSConnection
        let lease: Lease
        var config: NATSPublishConfig { publisher.config }

        func run(
            subscriber: Int, iterator: inout AsyncStream<[String]>.Iterator, unacked: inout PublishWindow, nextAck: inout Int,
            epoch: inout Epoch, held: inout HeldEnvelopes
        ) async -> SessionEnd {
            let box = AckBox()
            let js = JetStream(connection)
            // The lease first: nothing is published without it.
            let leaseTask = holdLease(js)
            defer { leaseTask.cancel() }
            let ackTask = readAcknowledgements(into: box, subscriber: subscriber)
            defer { ackTask.cancel() }
            var commands = CommandAnswering()
            defer { commands.end() }
            var lastSnapshot = ContinuousClock.now
            var was: Lease.Standing?
            var nextLeaderCheck = ContinuousClock.now
            var nextStatus = ContinuousClock.now
            while !Task.isCancelled {
                if let why = connection.closedReason { return .connectionLost(why) }
                let standing = lease.standing
                let active = standing == .holding
                // Commands are answered while the lease is held, even while
                // JetStream cannot renew it (they need no JetStream); in a
                // queue group, so that two gateways never both get one.
                commands.answer(standing != .standby, session: self, subscriber: subscriber)
                // After a publish no stream answered: nothing is published
                // until the stream has a leader again (asked four times a
                // second, never in a tight loop); what comes meanwhile is held.
                var awaitingLeader = publisher.streamUnavailable.load(ordering: .relaxed)
                if awaitingLeader, ContinuousClock.now >= nextLeaderCheck {
                    if await streamHasLeader(js) {
                        awaitingLeader = false
                        publisher.streamUnavailable.store(false, ordering: .relaxed)
                        publisher.shared.withLock { $0.stats.awaitingStreamLeader = false }
                        publisher.logger.notice("stream \(config.subjects.stream) has a leader again: publishing what waited, in order")
                        // What was not stored goes again first (stored once, by its id).
                        if active { republish(&unacked, nextAck: &nextAck, box: box) }
                    } else {
                        nextLeaderCheck = .now + .milliseconds(250)
                    }
                }
                // (A publisher that starts without the lease says nothing yet.)
                if standing != was, was != nil || standing != .standby {
                    was = standing
                    if await standingChanged(
                        to: standing, awaitingLeader: awaitingLeader, subscriber: subscriber, unacked: &unacked, nextAck: &nextAck,
                        epoch: &epoch, held: &held, box: box)
                    {
                        lastSnapshot = .now
                    }
                }
                if let why = dropAcknowledged(&unacked, box: box, patient: awaitingLeader) { return .connectionLost(why) }
                let waitingFor: String? =
                    standing == .unsure ? "the lease to be renewed" : active && awaitingLeader ? "the stream's leader" : nil
                if standing != .standby, ContinuousClock.now >= nextStatus {
                    nextStatus = .now + .seconds(1)
                    sendStatus(held: held, waitingFor: waitingFor)
                }
                if active, waitingFor == nil {
                    if epoch.skipped || !epoch.started {
                        // The hold passed its bound: a new epoch, opened by a snapshot.
                        await beginEpoch(subscriber: subscriber, unacked: &unacked, epoch: &epoch, held: &held)
                        lastSnapshot = .now
                    }
                    // The window full: what comes is held (the core is read
                    // on, never left to drop us), and an acknowledgement
                    // wakes this loop.
                    let room = config.window - unacked.events
                    if room <= 0 {
                        box.wantRoom()
                    } else if !held.isEmpty {
                        publish(held.take(room), epoch: &epoch, unacked: &unacked, nextAck: &nextAck, box: box)
                        publisher.noteHeld(held)
                        continue
                    }
                    if ContinuousClock.now - lastSnapshot >= config.snapshotEvery {
                        lastSnapshot = .now
                        await publisher.core.sendSnapshot(to: subscriber)
                    }
                }
                guard let texts = await iterator.next() else {
                    epoch.coreDropped(standby: standing == .standby)
                    return .coreDropped
                }
                // An empty batch is the ticker's (or an acknowledgement's wake-up).
                guard let last = texts.last else { continue }
                epoch.lastRead = last
                if standing == .standby {
                    publisher.letGo(&held, &unacked, epoch: &epoch)
                    epoch.skipped = true
                    continue
                }
                if active, waitingFor == nil, held.isEmpty, unacked.events < config.window {
                    publish(texts, epoch: &epoch, unacked: &unacked, nextAck: &nextAck, box: box)
                } else {
                    hold(texts, in: &held, epoch: &epoch)
                }
            }
            return .cancelled
        }

        /// Keeps what cannot be stored now, in order (command results go to
        /// their askers at once: they need no JetStream).
        func hold(_ texts: [String], in held: inout HeldEnvelopes, epoch: inout Epoch) {
            var kept: [String] = []
            kept.reserveCapacity(texts.count)
            for text in texts {
                if text.utf8.count < 65_536, text.contains("\"command.result\""), let r = route(text, epoch: epoch.id), let reply = r.reply {
                    connection.publish(reply, payload: r.payload)
                } else {
                    kept.append(text)
                }
            }
            publisher.hold(kept, in: &held, epoch: &epoch)
        }

        /// Says on the status subject what this publisher does (readers show it).
        func sendStatus(held: HeldEnvelopes, waitingFor: String?) {
            let s = publisher.status(held: held, waitingFor: waitingFor)
            connection.publish(config.subjects.status, payload: s.json)
        }

        // MARK: Steps of a session

        /// Holds or seeks the lease. A lease that lapsed (not renewed in
        /// time, as while JetStream elects a leader) is taken again at once,
        /// in the same epoch, only if no other publisher began one
        /// meanwhile: every epoch opens with a snapshot, and the last
        /// snapshot stored is still ours.
        func holdLease(_ js: JetStream) -> Task<Void, Never> {
            let stream = config.subjects.stream
            let snapshots = config.subjects.snapshot
            // Since when the stream has said it holds no snapshot at all.
            let noSnapshotSince = Mutex<ContinuousClock.Instant?>(nil)
            return Task { [publisher, lease] in
                await lease.run(js) {
                    let ours = publisher.shared.withLock { $0.epochID }
                    guard !ours.isEmpty else { return false }
                    // JetStream that cannot answer yet (the events stream
                    // electing a leader) is no answer: the lease stays
                    // unsure and is asked about again, never given up.
                    let last: JetStream.StoredMessage?
                    do { last = try await js.lastMessage(stream: stream, subject: snapshots) } catch { return nil }
                    guard let last else {
                        // Every epoch opens with a snapshot: a stream with
                        // none is one still recovering (a restarted
                        // server leading before it caught up) and cannot
                        // tell yet; after 30 s of that, it was recreated.
                        let since = noSnapshotSince.withLock { first in
                            let at = first ?? .now
                            first = at
                            return at
                        }
                        return ContinuousClock.now - since < .seconds(30) ? nil : false
                    }
                    noSnapshotSince.withLock { $0 = nil }
                    return last.headers.first { $0.name == NATSSource.epochHeader }?.value == ours
                }
            }
        }

        /// Whether the stream answers with a leader (a stream of one replica
        /// names none: its answer is enough).
        func streamHasLeader(_ js: JetStream) async -> Bool {
            // Asked often, answered at once when there is a leader: a short wait.
            let quick = JetStream(js.connection, timeout: .seconds(1))
            guard let info = try? await quick.streamInfo(config.subjects.stream) else { return false }
            return info.leader != nil || info.replicas.isEmpty
        }

        /// JetStream's answers to our publishes, into `box`. A publish no
        /// stream answered, or one not stored, stops publishing until the
        /// stream has a leader again; then what is unacknowledged goes again.
        func readAcknowledgements(into box: AckBox, subscriber: Int) -> Task<Void, Never> {
            let acks = connection.subscribe("\(connection.inbox).ack.*")
            return Task { [publisher] in
                for await m in acks.messages {
                    guard let n = Int(m.subject.split(separator: ".").last ?? "") else { continue }
                    if m.status == 503 {
                        // No stream answered (a leader being elected, or the
                        // stream is gone): said once, and waited out on this
                        // connection (a new one would fare no better).
                        publisher.shared.withLock { $0.stats.noResponders += 1 }
                        publisher.streamNotStoring("no stream answered a publish to \(publisher.config.subjects.events)")
                        continue
                    }
                    do {
                        let a = try JetStream.pubAck(m.payload)
                        // The session waits for room in the window: wake it.
                        if box.acknowledged(n) { await publisher.core.nudge(subscriber) }
                        // (Counted as acknowledged when it leaves the window:
                        // an answer that came as the connection ended is
                        // published again and counted once.)
                        if a.duplicate { publisher.shared.withLock { $0.stats.duplicates += 1 } }
                    } catch {
                        // Not stored ("JetStream system temporarily
                        // unavailable" while a leader is elected): it stays
                        // unacknowledged and goes again once the stream has a leader.
                        publisher.shared.withLock { $0.stats.publishErrors += 1 }
                        publisher.streamNotStoring("a publish was not stored: \(error)")
                    }
                }
            }
        }

        /// The lease became held, unsure or lost. Held: a new epoch when
        /// events went by unpublished (or nothing was published yet), else
        /// what waited goes again; then a snapshot (true: one was sent).
        func standingChanged(
            to standing: Lease.Standing, awaitingLeader: Bool, subscriber: Int, unacked: inout PublishWindow, nextAck: inout Int,
            epoch: inout Epoch, held: inout HeldEnvelopes, box: AckBox
        ) async -> Bool {
            let active = standing == .holding
            publisher.shared.withLock { $0.stats.active = active }
            guard active else {
                if standing == .unsure {
                    publisher.logger.notice("the lease of \(config.subjects.cluster) is not renewed: events wait until it is")
                } else {
                    publisher.logger.notice("standby for \(config.subjects.cluster): another gateway holds the lease")
                }
                return false
            }
            guard !awaitingLeader else {
                // Nothing can be stored yet: what waits goes (or the new
                // epoch begins) once the stream has a leader again.
                publisher.logger.notice("the lease of \(config.subjects.cluster) is held: publishing once the stream has a leader")
                return false
            }
            publisher.logger.notice("active for \(config.subjects.cluster): publishing and answering commands")
            if epoch.skipped || !epoch.started {
                await beginEpoch(subscriber: subscriber, unacked: &unacked, epoch: &epoch, held: &held)
            } else {
                // What an earlier connection left unacknowledged goes again
                // (stored once, by its id), then what was held, then a
                // snapshot. What this connection sent is not sent again
                // when a lapsed lease comes back: it is in flight, and a
                // refusal or 5 s without an answer sends it again. (Sending
                // the whole window on every lapse fed a slow stream more
                // of the same: 42,578 envelopes again for 21,244 in CI.)
                if let oldest = unacked.first, box.age(of: oldest.ack) == nil {
                    republish(&unacked, nextAck: &nextAck, box: box)
                }
                await publisher.core.sendSnapshot(to: subscriber)
            }
            return true
        }

        /// A new epoch opens with a snapshot; readers that see it start
        /// again there. What waited (for an acknowledgement, or held) is in
        /// that snapshot: sent again it would only come after it. A hold
        /// that passed its bound is said to be lost, with its window.
        func beginEpoch(subscriber: Int, unacked: inout PublishWindow, epoch: inout Epoch, held: inout HeldEnvelopes) async {
            // Lost: what went by unpublished, what was held (past the
            // bound, or not yet published), and what waited for an
            // acknowledgement (not stored, or not known to be).
            let lost = NATSPublisher.stretchLost(held: held, unacked: unacked, epoch: &epoch)
            unacked.removeAll()
            held.reset()
            epoch.renew()
            let now = wallClockNow()
            publisher.shared.withLock { s in
                s.stats.epochs += 1
                s.epochID = epoch.id
                s.stats.held = 0
                s.stats.heldSince = nil
                s.stats.heldPastBound = 0
            }
            if let lost {
                let why = "held past the bound of \(config.holdLimit), not acknowledged, or dropped by the core; a new epoch begins with a snapshot"
                publisher.recordLoss(lost, to: now, why: why)
            }
            publisher.logger.notice("epoch \(epoch.id) of \(config.subjects.cluster) begins with a snapshot")
            await publisher.core.sendSnapshot(to: subscriber)
        }

        /// Acknowledged ones leave the window; the reason to reconnect when
        /// the oldest has waited 5 s.
        func dropAcknowledged(_ unacked: inout PublishWindow, box: AckBox, patient: Bool) -> String? {
            let stored = unacked.dropAcknowledged(box)
            publisher.shared.withLock { s in
                s.stats.acknowledged += stored
                s.stats.unacknowledged = unacked.events
            }
            // While the stream has no leader, no acknowledgement is expected.
            if !patient, let oldest = unacked.first, let age = box.age(of: oldest.ack), age > .seconds(5) {
                return "no acknowledgement for 5 s"
            }
            return nil
        }
    }
}
