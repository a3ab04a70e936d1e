import ClusterProtocol
import ClusterState
import EventSources
import Foundation
import Logging
import NATSClient
import Synchronization

/// Reading the stream: the cluster, where to start, the ordered consumer,
/// delivery into the queue, and command answers.
extension NATSSource {
    /// The cluster to read: the one given, or the only one there.
    func findCluster(_ js: JetStream) async throws -> ClusterSubjects {
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
    func startIfNeeded(_ js: JetStream, subjects: ClusterSubjects, endpoint i: Int) async throws {
        let info = try await js.streamInfo(subjects.stream)
        let (last, created) = shared.withLock { ($0.lastStreamSeq, $0.created) }
        if let last, created == info.created, info.firstSeq <= last + 1 { return }
        if last != nil { shared.withLock { $0.resyncs += 1 } }
        // Kept until a snapshot is applied (a look-up JetStream could not
        // answer is tried again with it).
        let seek = shared.withLock { $0.seekEpoch }
        var opening: JetStream.StoredMessage?
        if let seek {
            var after = seek.after
            // A stream rewritten under the reader (it read a lone leader's
            // last entries, which the next leader never held) has the
            // epoch's first messages at or before the reader's position.
            if let begun = try await Self.firstMessage(
                js, stream: subjects.stream, of: seek.epoch, atOrBefore: seek.after, stored: (info.firstSeq, info.lastSeq))
            {
                logger.notice(
                    "NATS: the stream was rewritten under this reader: epoch \(seek.epoch.prefix(40)) begins at \(begun), not after \(seek.after)")
                after = begun - 1
            }
            opening = try await openingSnapshot(js, subjects: subjects, of: seek.epoch, after: after)
        }
        if opening == nil { opening = try await js.lastMessage(stream: subjects.stream, subject: subjects.snapshot) }
        guard let snap = opening else {
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
            s.seekEpoch = nil
            if s.announcedEpoch == epoch { s.announcedEpoch = nil }
            s.snapshotsApplied += 1
        }
    }

    /// The first snapshot of `epoch` stored after `after`: where its events
    /// begin, so that none of them is skipped (the latest snapshot may be
    /// later). Looks at most 64 snapshots on; nil when none is found.
    func openingSnapshot(_ js: JetStream, subjects: ClusterSubjects, of epoch: String, after: UInt64) async throws -> JetStream.StoredMessage? {
        var from = after + 1
        for _ in 0..<64 {
            guard let m = try await js.nextMessage(stream: subjects.stream, subject: subjects.snapshot, from: from) else { return nil }
            if m.headers.first(where: { $0.name == Self.epochHeader })?.value == epoch { return m }
            from = m.seq + 1
        }
        return nil
    }

    /// Where `epoch` begins when that is at or before `after` (nil when it
    /// begins after it, as it does unless the stream was rewritten): the
    /// first stored message of the epoch, found by halving `stored` (the
    /// stream's first and last sequences) up to `after`. An epoch's
    /// messages follow every earlier epoch's (each message expects its
    /// predecessor's sequence).
    static func firstMessage(_ js: JetStream, stream: String, of epoch: String, atOrBefore after: UInt64, stored: (first: UInt64, last: UInt64))
        async throws -> UInt64?
    {
        func epochAt(_ seq: UInt64) async throws -> String? {
            try await js.message(stream: stream, seq: seq)?.headers.first { $0.name == epochHeader }?.value
        }
        var lo = max(stored.first, 1)
        var hi = min(after, stored.last)
        guard lo <= hi, try await epochAt(hi) == epoch else { return nil }
        while lo < hi {
            let mid = lo + (hi - lo) / 2
            if try await epochAt(mid) == epoch { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }

    func deliver(_ e: Envelope, streamSeq: UInt64, endpoint i: Int) {
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
    func consume(_ js: JetStream, subjects: ClusterSubjects, endpoint i: Int) async throws {
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
                // A quiet stream says nothing of a new epoch but on the
                // publisher's status: looked into at a heartbeat.
                if let epoch = await announcedEpochIsStored(js, subjects: subjects) {
                    // What is stored of the epoch being read comes first.
                    if let unread = await unreadEventOfThisEpoch(js, subjects: subjects) {
                        throw Restart.resume("events of this epoch from stream sequence \(unread) are stored and not delivered yet")
                    }
                    throw Restart.toEpoch(epoch, after: shared.withLock { $0.lastStreamSeq } ?? 0)
                }
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
            case .newEpoch(let epoch): throw Restart.toEpoch(epoch, after: shared.withLock { $0.lastStreamSeq } ?? 0)
            case .apply: break
            }
            // One envelope, or a batch of them (StoredBatch): all applied at
            // this stream position, a bad one counted and skipped alone.
            let count = m.header(StoredBatch.eventsHeader).map { Int($0) ?? -1 }
            for decoded in StoredBatch.envelopes(in: m.payload, count: count) {
                switch decoded {
                case .success(let envelope):
                    deliver(envelope, streamSeq: at.streamSeq, endpoint: i)
                case .failure(let error):
                    shared.withLock { s in
                        s.stats[0].decodeErrors += 1
                        s.lastStreamSeq = at.streamSeq
                    }
                    logger.warning("NATS: stream message \(at.streamSeq) is not protocol v1: \(error.message)")
                }
            }
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
    func forwardReplies(_ sub: NATSConnection.Subscription, endpoint i: Int) async {
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
