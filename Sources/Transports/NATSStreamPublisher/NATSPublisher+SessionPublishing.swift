import ClusterProtocol
import NATSClient
import NATSStreamSource

/// What a session puts on the wire: the core's envelopes routed (a
/// command's result to its asker, the rest to the stream), batched into
/// stored messages, and what waits for an acknowledgement sent again.
extension NATSPublisher.Session {
    /// One batch of the core's envelopes published: command results to
    /// their askers, the rest to the stream, consecutive envelopes together
    /// in one message (`StoredBatch`; several sources' on the cluster's
    /// subject for them), each message kept until acknowledged. A snapshot
    /// goes alone.
    func publish(_ texts: [String], epoch: inout Epoch, unacked: inout PublishWindow, nextAck: inout Int, box: AckBox) {
        var out: [(subject: String, replyTo: String?, headers: [NATSHeader], payload: [UInt8])] = []
        var batch: StreamBatch?
        var events = 0
        var messages = 0
        var passedOver = 0
        func send(_ b: StreamBatch) {
            nextAck += 1
            let p = PendingPublish(
                subject: b.subject, headers: StoredBatch.headers(firstID: b.firstID, events: b.events, epoch: epoch.id), payload: b.payload,
                ack: nextAck, at: b.at, events: b.events)
            box.sent(nextAck)
            unacked.append(p)
            out.append((p.subject, "\(connection.inbox).ack.\(p.ack)", unacked.wireHeaders(at: unacked.messages.count - 1), p.payload))
            events += b.events
            messages += 1
        }
        for text in texts {
            guard let item = route(text, epoch: epoch.id) else { continue }
            if let reply = item.reply {
                out.append((reply, nil, [], item.payload))
                continue
            }
            // A new epoch begins with its snapshot: what comes before it is in it.
            if epoch.awaitingSnapshot {
                guard item.isSnapshot else {
                    if epoch.followsLoss { passedOver += 1 }
                    continue
                }
                epoch.awaitingSnapshot = false
            }
            let joinable = !item.isSnapshot && StoredBatch.canJoin(item.payload)
            if batch?.takes(payload: item.payload, joinable: joinable) == true {
                batch?.add(item.payload, subject: item.subject, mixed: config.subjects.mixedEvents)
                continue
            }
            if let b = batch { send(b) }
            batch = StreamBatch(subject: item.subject, id: item.id, payload: item.payload, at: item.at, joinable: joinable)
            if item.isSnapshot, let b = batch {
                publisher.shared.withLock { $0.stats.snapshots += 1 }
                send(b)
                batch = nil
            }
        }
        if let b = batch { send(b) }
        connection.publish(batch: out)
        publisher.shared.withLock {
            $0.stats.published += events
            $0.stats.messages += messages
            $0.stats.countPassedOver(passedOver)
        }
    }

    struct Routed {
        var subject: String
        var id = ""
        var payload: [UInt8]
        /// Set for a command's result: it goes to the asker, not the stream.
        var reply: String?
        var isSnapshot = false
        var at = Timestamp(millis: 0)
    }

    /// Where one envelope goes.
    func route(_ text: String, epoch: String) -> Routed? {
        let e: Envelope
        do { e = try EnvelopeCodec.decode(text) } catch {
            publisher.note(error: "the core served an undecodable envelope: \(error.message)")
            return nil
        }
        let payload = Array(text.utf8)
        switch e.event {
        case .commandResult(let r) where e.seq == 0:
            guard let id = r.requestID else { return nil }
            let reply = publisher.shared.withLock { s -> String? in
                let to = s.replies[id]
                if r.status != .accepted { s.replies[id] = nil }
                return to
            }
            guard let reply else { return nil }
            return Routed(subject: "", payload: payload, reply: reply)
        case .snapshot:
            return Routed(subject: config.subjects.snapshot, id: e.id, payload: payload, isSnapshot: true, at: e.timestamp)
        default:
            return Routed(subject: config.subjects.events(of: e.source), id: e.id, payload: payload, at: e.timestamp)
        }
    }

    /// What is not acknowledged goes again, in order, each expecting the
    /// one before it (stored once, by its id).
    func republish(_ unacked: inout PublishWindow, nextAck: inout Int, box: AckBox) {
        guard !unacked.isEmpty else { return }
        unacked.renumber(from: &nextAck, box: box)
        let out = unacked.messages.indices.map { i in
            let p = unacked.messages[i]
            return (p.subject, Optional("\(connection.inbox).ack.\(p.ack)"), unacked.wireHeaders(at: i), p.payload)
        }
        connection.publish(batch: out)
        publisher.shared.withLock { $0.stats.republished += unacked.events }
    }
}
