import ClusterProtocol
import EventSources
import NATSClient

/// What the reader tells of the publisher behind the stream: nobody holds
/// the lease, or the active publisher holds events JetStream cannot store
/// now. Both become the endpoint's warning (an alert) and the held count
/// (the header).
extension NATSSource {
    /// A status not heard again within this long is no longer believed.
    static let statusLifetime: Duration = .seconds(5)

    /// Reads the publisher's status messages until the subscription ends;
    /// checks each second that the last one is still fresh.
    func followPublisherStatus(_ sub: NATSConnection.Subscription) async {
        let expiry = Task { [self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                refreshWarning()
            }
        }
        defer { expiry.cancel() }
        for await m in sub.messages {
            guard let status = PublisherStatus(json: m.payload) else { continue }
            shared.withLock { s in
                s.publisherStatus = status
                s.statusHeardAt = .now
                if let e = status.epoch, let known = s.epoch, e != known, !s.retired.contains(e) { s.announcedEpoch = e }
            }
            refreshWarning()
        }
    }

    /// The endpoint's warning and held count, from what is known now.
    func refreshWarning() {
        shared.withLock { s in
            var status = s.publisherStatus
            if let heard = s.statusHeardAt, ContinuousClock.now - heard > Self.statusLifetime { status = nil }
            if let status, status.held > 0 {
                s.stats[0].heldUpstream = HeldUpstream(events: status.held, since: status.heldSince)
                s.stats[0].warning = status.warning
            } else {
                s.stats[0].heldUpstream = nil
                s.stats[0].warning = s.noPublisher ? "no active publisher (its gateway is down?)" : nil
            }
        }
    }

    /// Whether the latest snapshot stored opens the epoch the publisher
    /// announced (then the reader starts again there); asked only after
    /// such an announcement.
    func announcedEpochIsStored(_ js: JetStream, subjects: ClusterSubjects) async -> String? {
        guard
            let announced = shared.withLock({ s -> String? in
                defer { s.announcedEpoch = nil }
                // Reached already (an event of it came first): nothing to do.
                return s.announcedEpoch == s.epoch ? nil : s.announcedEpoch
            })
        else { return nil }
        guard let snap = try? await js.lastMessage(stream: subjects.stream, subject: subjects.snapshot),
            snap.headers.first(where: { $0.name == Self.epochHeader })?.value == announced
        else { return nil }
        return announced
    }

    /// The stream sequence of an event of the epoch being read that is
    /// stored after the last one applied (not delivered yet); nil when
    /// there is none. A heartbeat can come before a new consumer delivers
    /// what is stored (a stream that just elected its leader): starting
    /// the announced epoch then would skip that history (CI saw 3 readers
    /// of 20 skip 4 s of it). Unknown (JetStream did not answer) counts as
    /// unread: the caller asks again with a new consumer.
    func unreadEventOfThisEpoch(_ js: JetStream, subjects: ClusterSubjects) async -> UInt64? {
        let (after, current) = shared.withLock { ($0.lastStreamSeq ?? 0, $0.epoch) }
        let next: JetStream.StoredMessage?
        do { next = try await js.nextMessage(stream: subjects.stream, subject: subjects.events, from: after + 1) } catch { return after + 1 }
        guard let next, next.headers.first(where: { $0.name == Self.epochHeader })?.value == current else { return nil }
        return next.seq
    }

    /// JetStream that cannot answer now (no stream or meta leader), as
    /// opposed to one that answers no (no such stream, refused).
    static func isJetStreamUnavailable(_ error: any Error) -> Bool {
        switch error {
        case NATSError.timedOut, NATSError.noResponders: return true
        case let e as JetStream.APIError: return e.code >= 500
        default: return false
        }
    }
}
