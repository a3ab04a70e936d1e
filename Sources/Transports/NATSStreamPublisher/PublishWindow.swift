import ClusterProtocol
import DequeModule
import NATSClient

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
}

/// What was published and not yet acknowledged, in order. Its bound is in
/// envelopes, whatever the batching (`events`).
struct PublishWindow {
    private(set) var messages = Deque<PendingPublish>()
    /// The envelopes in `messages`.
    private(set) var events = 0

    init(_ messages: [PendingPublish] = []) {
        for m in messages { append(m) }
    }

    var isEmpty: Bool { messages.isEmpty }
    var first: PendingPublish? { messages.first }

    mutating func append(_ m: PendingPublish) {
        messages.append(m)
        events += m.events
    }

    /// The acknowledged ones at the front leave; the envelopes they carried.
    @discardableResult
    mutating func dropAcknowledged(_ box: AckBox) -> Int {
        var dropped = 0
        while let first = messages.first, box.take(first.ack) {
            messages.removeFirst()
            events -= first.events
            dropped += first.events
        }
        return dropped
    }

    mutating func removeAll() {
        messages.removeAll()
        events = 0
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
