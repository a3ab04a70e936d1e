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

extension NATSPublisher {
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
            let box = AckBox()
            let js = JetStream(connection)
            // The lease first: nothing is published without it.
            let leaseTask = holdLease(js)
            defer { leaseTask.cancel() }
            let ackTask = readAcknowledgements(into: box)
            defer { ackTask.cancel() }
            var commands = CommandAnswering()
            defer { commands.end() }
            var lastSnapshot = ContinuousClock.now
            var wasActive = false
            while !Task.isCancelled {
                if let why = connection.closedReason { return .connectionLost(why) }
                let standing = lease.standing
                let active = standing == .holding
                // Commands are answered while the lease is held, even while
                // JetStream cannot renew it (they need no JetStream); in a
                // queue group, so that two gateways never both get one.
                commands.answer(standing != .standby, session: self, subscriber: subscriber)
                // After a publish no stream answered: nothing is published
                // (and nothing republished) until the stream has a leader
                // again; the events wait in the core (bounded there).
                if publisher.streamUnavailable.load(ordering: .relaxed) {
                    guard await streamHasLeader(js) else {
                        try? await Task.sleep(for: .milliseconds(250))
                        continue
                    }
                    publisher.streamUnavailable.store(false, ordering: .relaxed)
                    publisher.shared.withLock { $0.stats.awaitingStreamLeader = false }
                    publisher.logger.notice("stream \(config.subjects.stream) has a leader again: publishing")
                }
                if active != wasActive {
                    wasActive = active
                    if await standingChanged(to: standing, subscriber: subscriber, unacked: &unacked, nextAck: &nextAck, epoch: &epoch, box: box) {
                        lastSnapshot = .now
                    }
                }
                if let why = dropAcknowledged(&unacked, box: box) { return .connectionLost(why) }
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
                publish(texts, epoch: &epoch, unacked: &unacked, nextAck: &nextAck, box: box)
            }
            return .cancelled
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
            return Task { [publisher, lease] in
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
        }

        /// Whether the stream answers with a leader (a stream of one replica
        /// names none: its answer is enough).
        func streamHasLeader(_ js: JetStream) async -> Bool {
            guard let info = try? await js.streamInfo(config.subjects.stream) else { return false }
            return info.leader != nil || info.replicas.isEmpty
        }

        /// JetStream's answers to our publishes, into `box`. A publish no
        /// stream answered, or one not stored, closes the connection: a new
        /// one publishes what is unacknowledged again.
        func readAcknowledgements(into box: AckBox) -> Task<Void, Never> {
            let acks = connection.subscribe("\(connection.inbox).ack.*")
            return Task { [publisher, connection] in
                for await m in acks.messages {
                    guard let n = Int(m.subject.split(separator: ".").last ?? "") else { continue }
                    if m.status == 503 {
                        // No stream answered (a leader being elected, or the stream is gone).
                        publisher.streamUnavailable.store(true, ordering: .relaxed)
                        publisher.shared.withLock {
                            $0.stats.noResponders += 1
                            $0.stats.awaitingStreamLeader = true
                        }
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
                        publisher.streamUnavailable.store(true, ordering: .relaxed)
                        publisher.shared.withLock { s in
                            s.stats.publishErrors += 1
                            s.stats.awaitingStreamLeader = true
                            s.stats.lastError = "\(error)"
                        }
                        connection.close()
                    }
                }
            }
        }

        /// The lease became held, unsure or lost. Held: a new epoch when
        /// events went by unpublished (or nothing was published yet), else
        /// what waited goes again; then a snapshot (true: one was sent).
        func standingChanged(
            to standing: Lease.Standing, subscriber: Int, unacked: inout Deque<Pending>, nextAck: inout Int, epoch: inout Epoch,
            box: AckBox
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
            publisher.logger.notice("active for \(config.subjects.cluster): publishing and answering commands")
            if epoch.skipped || !epoch.started {
                // A new epoch opens with a snapshot; readers that see it
                // start again there. What waited for an acknowledgement is
                // in that snapshot: sent again it would only come after it.
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
            return true
        }

        /// Acknowledged ones leave the window; the reason to reconnect when
        /// the oldest has waited 5 s.
        func dropAcknowledged(_ unacked: inout Deque<Pending>, box: AckBox) -> String? {
            while let first = unacked.first, box.take(first.ack) { unacked.removeFirst() }
            publisher.shared.withLock { $0.stats.unacknowledged = unacked.count }
            if let oldest = unacked.first, let age = box.age(of: oldest.ack), age > .seconds(5) { return "no acknowledgement for 5 s" }
            return nil
        }

        /// One batch of the core's envelopes published: command results to
        /// their askers, the rest to the stream, kept until acknowledged.
        func publish(_ texts: [String], epoch: inout Epoch, unacked: inout Deque<Pending>, nextAck: inout Int, box: AckBox) {
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

        /// The command subscription, there while commands are answered.
        struct CommandAnswering {
            private var subscription: NATSConnection.Subscription?
            private var task: Task<Void, Never>?

            mutating func answer(_ answering: Bool, session: Session, subscriber: Int) {
                guard answering != (subscription != nil) else { return }
                if answering {
                    let sub = session.connection.subscribe(session.config.subjects.commands, queue: "clusterdash-gateways")
                    subscription = sub
                    task = Task { await session.serveCommands(sub, subscriber: subscriber) }
                } else {
                    stop(session.connection)
                }
            }

            /// The session is over: the answering task ends with it (the
            /// connection closes after).
            func end() { task?.cancel() }

            mutating func stop(_ connection: NATSConnection) {
                if let s = subscription { connection.unsubscribe(s.sid) }
                task?.cancel()
                subscription = nil
                task = nil
            }
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
