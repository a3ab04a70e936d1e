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
            /// The stream was read on this connection (`resync`).
            var synced = false
            var nextLeaderCheck = ContinuousClock.now
            var nextStatus = ContinuousClock.now
            // What came within `config.linger` of the last publish, to go
            // as one message (published as it would have been at once; at
            // the end of the session it is held, like anything unpublished).
            var gathered = GatheredEnvelopes(linger: config.linger)
            defer {
                if !gathered.isEmpty { hold(gathered.take(), in: &held, epoch: &epoch) }
                gathered.cancelWake()
            }
            while !Task.isCancelled {
                // Gathered while publishing was possible: it goes when its
                // time is over, or at once when anything may have changed.
                if !gathered.isEmpty,
                    gathered.isDue || connection.closedReason != nil || lease.standing != .holding
                        || publisher.streamUnavailable.load(ordering: .relaxed)
                {
                    publish(gathered.take(), epoch: &epoch, unacked: &unacked, nextAck: &nextAck, box: box)
                }
                if let why = connection.closedReason { return .connectionLost(why) }
                let standing = lease.standing
                let active = standing == .holding
                // Commands are answered while the lease is held, even while
                // JetStream cannot renew it (they need no JetStream); in a
                // queue group, so that two gateways never both get one.
                commands.answer(standing != .standby, session: self, subscriber: subscriber)
                // Nothing is published on a connection before the stream
                // was read (what of the window it holds, where the next
                // publish goes), nor after a publish no stream answered or
                // one refused, until the stream has a leader again (asked
                // four times a second, never in a tight loop); what comes
                // meanwhile is held.
                var awaitingLeader = !synced || publisher.streamUnavailable.load(ordering: .relaxed)
                if awaitingLeader, active, ContinuousClock.now >= nextLeaderCheck {
                    if await resync(js, unacked: &unacked) {
                        // What was not stored goes again first, in order
                        // (not when a new epoch replaces it).
                        if epoch.started, !epoch.skipped { republish(&unacked, nextAck: &nextAck, box: box) }
                        awaitingLeader = false
                        synced = true
                        if publisher.streamUnavailable.exchange(false, ordering: .relaxed) {
                            publisher.shared.withLock { $0.stats.awaitingStreamLeader = false }
                            publisher.logger.notice("stream \(config.subjects.stream) has a leader again: publishing what waited, in order")
                        }
                    } else {
                        nextLeaderCheck = .now + .milliseconds(250)
                    }
                }
                // (A publisher that starts without the lease says nothing yet.)
                if standing != was, was != nil || standing != .standby {
                    was = standing
                    if await standingChanged(
                        to: standing, awaitingLeader: awaitingLeader, subscriber: subscriber, unacked: &unacked, epoch: &epoch, held: &held)
                    {
                        lastSnapshot = .now
                    }
                }
                // (What waits when a new epoch is due is dropped by it, not waited for.)
                let patient = awaitingLeader || epoch.skipped || !epoch.started
                if let why = dropAcknowledged(&unacked, box: box, patient: patient) { return .connectionLost(why) }
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
                if active, waitingFor == nil, held.isEmpty, unacked.events + gathered.count < config.window {
                    gathered.add(texts)
                    if gathered.isDue || gathered.count >= StoredBatch.maxEvents {
                        publish(gathered.take(), epoch: &epoch, unacked: &unacked, nextAck: &nextAck, box: box)
                    } else {
                        gathered.wake { [core = publisher.core] in await core.nudge(subscriber) }
                    }
                } else {
                    if !gathered.isEmpty { publish(gathered.take(), epoch: &epoch, unacked: &unacked, nextAck: &nextAck, box: box) }
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
                await lease.run(js, log: { publisher.logger.notice("\($0)") }) {
                    // Ours: the epoch published now, the last one stored
                    // (the one now may not have reached the stream yet), or
                    // any other this publisher began (a loss past the bound
                    // begins one while the stream may still end in the last).
                    let (ours, stored, own) = publisher.shared.withLock { ($0.epochID, $0.storedEpochID, $0.ownEpochs) }
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
                    let epoch = last.headers.first { $0.name == NATSSource.epochHeader }?.value
                    let resumable = epoch == ours || (stored != nil && epoch == stored) || epoch.map(own.contains) == true
                    if !resumable {
                        publisher.logger.notice(
                            "the lease lapsed and the stream's last snapshot (seq \(last.seq)) is of epoch \(epoch ?? "none"), not one of ours (now \(ours), last stored \(stored ?? "none")): another publisher began one"
                        )
                    }
                    return resumable
                }
            }
        }

        /// Reads the stream (answered by its leader: a stream of one
        /// replica names none): what of the window it holds leaves, and
        /// what is left expects its last message. False: no leader yet.
        func resync(_ js: JetStream, unacked: inout PublishWindow) async -> Bool {
            // Asked often, answered at once when there is a leader: a short wait.
            let quick = JetStream(js.connection, timeout: .seconds(1))
            let stream = config.subjects.stream
            guard let info = try? await quick.streamInfo(stream), info.leader != nil || info.replicas.isEmpty else { return false }
            var lastID: String?
            if let base = unacked.base, info.lastSeq > base, !unacked.isEmpty {
                // Which message is last tells whether it is the window's.
                let last: JetStream.StoredMessage?
                do { last = try await quick.message(stream: stream, seq: info.lastSeq) } catch { return false }
                lastID = last?.headers.first { $0.name == PublishWindow.msgIDHeader }?.value
            }
            let stored = unacked.resync(lastSeq: info.lastSeq, lastID: lastID)
            publisher.shared.withLock { s in
                s.stats.acknowledged += stored
                s.stats.unacknowledged = unacked.events
                s.storedEpochID = unacked.storedEpoch ?? s.storedEpochID
            }
            return true
        }

        /// JetStream's answers to our publishes, into `box`. A publish no
        /// stream answered, or one not stored, stops publishing until the
        /// stream has a leader again; then what is unacknowledged goes again.
        func readAcknowledgements(into box: AckBox, subscriber: Int) -> Task<Void, Never> {
            let acks = connection.subscribe("\(connection.inbox).ack.*")
            return Task { [publisher] in
                for await m in acks.messages {
                    guard let n = Int(m.subject.split(separator: ".").last ?? "") else { continue }
                    // An answer to a copy published again since no longer
                    // counts (the box ignores such an acknowledgement itself;
                    // the other answers are rare and looked up).
                    if m.status == 503 {
                        guard box.isCurrent(n) else { continue }
                        // No stream answered (a leader being elected, or the
                        // stream is gone): said once, and waited out on this
                        // connection (a new one would fare no better).
                        publisher.shared.withLock { $0.stats.noResponders += 1 }
                        publisher.streamNotStoring("no stream answered a publish to \(publisher.config.subjects.events)")
                        continue
                    }
                    do {
                        let a = try JetStream.pubAck(m.payload)
                        if a.duplicate, !box.isCurrent(n) { continue }
                        // The session waits for room in the window: wake it.
                        if box.acknowledged(n, seq: a.seq) { await publisher.core.nudge(subscriber) }
                        // (Counted as acknowledged when it leaves the window:
                        // an answer that came as the connection ended is
                        // published again and counted once.)
                        if a.duplicate { publisher.shared.withLock { $0.stats.duplicates += 1 } }
                    } catch let e as JetStream.APIError where e.errCode == JetStream.APIError.wrongLastSequence {
                        guard box.isCurrent(n) else { continue }
                        // One before it was not stored (lost with a leader
                        // that died): refused, so that nothing is stored out
                        // of order; all from the lost one goes again.
                        publisher.shared.withLock { $0.stats.refusedOutOfOrder += 1 }
                        publisher.streamNotStoring(
                            "a publish was refused, one before it not being stored (\(e.text)): publishing again from the first not stored, in order")
                    } catch {
                        guard box.isCurrent(n) else { continue }
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
        /// a snapshot (true: one was sent).
        func standingChanged(
            to standing: Lease.Standing, awaitingLeader: Bool, subscriber: Int, unacked: inout PublishWindow, epoch: inout Epoch,
            held: inout HeldEnvelopes
        ) async -> Bool {
            let active = standing == .holding
            publisher.shared.withLock { $0.stats.active = active }
            guard active else {
                if standing == .unsure {
                    publisher.logger.notice("the lease of \(config.subjects.cluster) is not renewed: events wait until it is")
                } else {
                    let who = lease.otherHolder.map { " (\($0))" } ?? ""
                    publisher.logger.notice("standby for \(config.subjects.cluster): another gateway\(who) holds the lease")
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
                // What waits was read against the stream on this connection
                // and sent on it: in flight, it is not sent again when a
                // lapsed lease comes back (a refusal, or 5 s without an
                // answer, sends it again). Sending the whole window on
                // every lapse fed a slow stream more of the same: 42,578
                // envelopes again for 21,244 in CI.
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
            // An epoch none of whose messages reached the stream (its
            // snapshot sent to a stream leader that had lost its quorum)
            // is opened again: readers see one stretch lost, one new epoch.
            let unseen = epoch.started && publisher.shared.withLock { $0.storedEpochID } != epoch.id
            if unseen { epoch.restart() } else { epoch.renew() }
            epoch.followsLoss = lost != nil
            let now = wallClockNow()
            publisher.shared.withLock { s in
                if !unseen { s.stats.epochs += 1 }
                s.epochID = epoch.id
                if s.ownEpochs.last != epoch.id { s.ownEpochs.append(epoch.id) }
                if s.ownEpochs.count > 16 { s.ownEpochs.removeFirst(s.ownEpochs.count - 16) }
                s.stats.held = 0
                s.stats.heldSince = nil
                s.stats.heldPastBound = 0
            }
            if let lost {
                let why = "held past the bound of \(config.holdLimit), not acknowledged, or dropped by the core; a new epoch begins with a snapshot"
                publisher.recordLoss(lost, to: now, why: why, extending: unseen)
            }
            publisher.logger.notice("epoch \(epoch.id) of \(config.subjects.cluster) \(unseen ? "opens again" : "begins") with a snapshot")
            await publisher.core.sendSnapshot(to: subscriber)
        }

        /// Acknowledged ones leave the window; the reason to reconnect when
        /// the oldest has waited 5 s.
        func dropAcknowledged(_ unacked: inout PublishWindow, box: AckBox, patient: Bool) -> String? {
            let stored = unacked.dropAcknowledged(box)
            publisher.shared.withLock { s in
                s.stats.acknowledged += stored
                s.stats.unacknowledged = unacked.events
                s.storedEpochID = unacked.storedEpoch ?? s.storedEpochID
            }
            // While the stream has no leader, no acknowledgement is expected.
            if !patient, let oldest = unacked.first, let age = box.age(of: oldest.ack), age > .seconds(5) {
                return "no acknowledgement for 5 s"
            }
            return nil
        }
    }
}
