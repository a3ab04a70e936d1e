import ClusterProtocol
import DequeModule
import NATSClient
import NATSStreamSource

/// One stored message sent and not yet acknowledged: one envelope, or a
/// batch of consecutive envelopes of one subject (`StoredBatch`). It goes
/// again only as it is (its id then finds the copy already stored).
struct PendingPublish {
    var subject: String
    var headers: [NATSHeader]
    var payload: [UInt8]
    var ack: Int
    /// The first envelope's time (where a stretch lost with it begins).
    var at: Timestamp
    /// How many envelopes it carries.
    var events: Int

    /// Its `Nats-Msg-Id`.
    var id: String? { headers.first { $0.name == PublishWindow.msgIDHeader }?.value }
    /// The epoch it belongs to (`Clusterdash-Epoch`).
    var epoch: String? { headers.first { $0.name == NATSSource.epochHeader }?.value }
}

/// What was published and not yet acknowledged, in order. Its bound is in
/// envelopes, whatever the batching (`events`).
///
/// Every message is published expecting the one before it at its place
/// (`Nats-Expected-Last-Sequence`): JetStream refuses one whose
/// predecessor was not stored (lost with a stream leader that died), so
/// the stream never holds a message before one published earlier. With
/// publishes acknowledged in a window, a lost message followed by stored
/// ones, then sent again, came after them: readers applied events out of
/// order (issue 23's CI, a stream leader restarted 6 s after its kill).
struct PublishWindow {
    static let msgIDHeader = "Nats-Msg-Id"
    static let expectedHeader = "Nats-Expected-Last-Sequence"

    private(set) var messages = Deque<PendingPublish>()
    /// The envelopes in `messages`.
    private(set) var events = 0
    /// The stream sequence of the message just before the first one here
    /// (the last one known stored); nil before the stream was read.
    private(set) var base: UInt64?
    /// The epoch of the last message known stored: an epoch is in the
    /// stream (its snapshot, which opens it, stored) once one of its
    /// messages is, since the stream holds them in order.
    private(set) var storedEpoch: String?

    init(_ messages: [PendingPublish] = [], base: UInt64? = nil) {
        self.base = base
        for m in messages { append(m) }
    }

    var isEmpty: Bool { messages.isEmpty }
    var first: PendingPublish? { messages.first }

    mutating func append(_ m: PendingPublish) {
        messages.append(m)
        events += m.events
    }

    /// The headers the message at `index` goes with: its own, and the
    /// sequence it expects last (none while the stream was not read).
    func wireHeaders(at index: Int) -> [NATSHeader] {
        guard let base else { return messages[index].headers }
        return messages[index].headers + [NATSHeader(Self.expectedHeader, String(base + UInt64(index)))]
    }

    /// The acknowledged ones at the front leave; the envelopes they carried.
    @discardableResult
    mutating func dropAcknowledged(_ box: AckBox) -> Int {
        var dropped = 0
        var last: PendingPublish?
        while let first = messages.first, let seq = box.take(first.ack) {
            messages.removeFirst()
            events -= first.events
            dropped += first.events
            last = first
            // (A copy stored before, found by its id, says where that
            // was: never a step back.)
            base = max(base ?? seq, seq)
        }
        if let epoch = last?.epoch { storedEpoch = epoch }
        return dropped
    }

    /// Nothing here is wanted any more (a new epoch); what comes next
    /// still expects the last one stored.
    mutating func removeAll() {
        messages.removeAll()
        events = 0
    }

    /// The stream's last message is at `lastSeq` with id `lastID`: what of
    /// the window it holds leaves (its envelopes counted), and what is left
    /// expects it. The stream holds a prefix of the window when its last
    /// message is the window's one at that place; otherwise (another
    /// publisher wrote, the stream was recreated, a message of an earlier
    /// epoch came late) nothing is known stored: all goes again, and the
    /// copies already stored are found by their ids.
    mutating func resync(lastSeq: UInt64, lastID: String?) -> Int {
        defer { base = lastSeq }
        guard let base, lastSeq > base, lastSeq - base <= UInt64(messages.count) else { return 0 }
        let stored = Int(lastSeq - base)
        guard let lastID, messages[stored - 1].id == lastID else { return 0 }
        if let epoch = messages[stored - 1].epoch { storedEpoch = epoch }
        var dropped = 0
        for _ in 0..<stored {
            let m = messages.removeFirst()
            events -= m.events
            dropped += m.events
        }
        return dropped
    }

    /// Every message under a new ack number (published again in this session).
    mutating func renumber(from next: inout Int, box: AckBox) {
        for i in messages.indices {
            box.forget(messages[i].ack)
            next += 1
            messages[i].ack = next
            box.sent(next)
        }
    }
}
