import ClusterProtocol
import DequeModule
import Synchronization

/// One envelope as it arrived: from which endpoint (its index in the
/// source's `endpointNames`) and when.
public struct Received: Sendable {
    public var envelope: Envelope
    public var endpoint: Int
    public var receivedAt: Timestamp

    public init(envelope: Envelope, endpoint: Int, receivedAt: Timestamp) {
        self.envelope = envelope
        self.endpoint = endpoint
        self.receivedAt = receivedAt
    }
}

/// What the app takes from the queue in one go.
public struct Batch: Sendable {
    public var items: Deque<Received>
    /// Envelopes dropped since the last batch because the queue overflowed.
    /// Non-zero means the app must resynchronise from a snapshot.
    public var dropped: Int
    /// How many envelopes were waiting when this batch was taken.
    public var backlog: Int

    public init(items: Deque<Received>, dropped: Int, backlog: Int) {
        self.items = items
        self.dropped = dropped
        self.backlog = backlog
    }

    public init(items: [Received], dropped: Int, backlog: Int) {
        self.init(items: Deque(items), dropped: dropped, backlog: backlog)
    }
}

/// The bounded queue between the sockets and the app. Readers push, the app
/// takes everything waiting at once (a burst becomes one batch, one frame).
/// When it is full, it does not grow: it drops what it holds, counts it, and
/// the app resynchronises from a snapshot.
public final class EnvelopeQueue: Sendable {
    struct State {
        var items: Deque<Received> = []
        /// An emptied buffer handed back by the consumer (`recycle`), so the
        /// next frame's items do not regrow from nothing.
        var spare: Deque<Received>?
        var dropped = 0
        var totalDropped = 0
        var overflows = 0
        var closed = false
    }

    public let capacity: Int
    /// The largest buffer `recycle` keeps (about one frame at 500,000 events/s).
    public let spareLimit = 16_384
    private let state = Mutex(State())
    private let tapSlot = TapSlot()

    public init(capacity: Int = 100_000) {
        self.capacity = max(1, capacity)
    }

    /// Sees every envelope pushed, on the pushing thread, outside the lock
    /// (the recorder). Set it before the source starts; a second tap adds to the first.
    public func tap(_ observer: @escaping @Sendable (Received) -> Void) {
        tapSlot.set(observer)
    }

    /// Adds an envelope; false when the queue overflowed (and was emptied).
    @discardableResult
    public func push(_ r: Received) -> Bool {
        tapSlot.observer?(r)
        return state.withLock { s -> Bool in
            guard !s.closed else { return true }
            if s.items.count >= capacity {
                s.dropped += s.items.count + 1
                s.totalDropped += s.items.count + 1
                s.overflows += 1
                s.items.removeAll(keepingCapacity: false)
                return false
            }
            s.items.append(r)
            return true
        }
    }

    public var count: Int { state.withLock { $0.items.count } }
    public var totalDropped: Int { state.withLock { $0.totalDropped } }
    public var overflows: Int { state.withLock { $0.overflows } }

    /// Takes everything waiting (at most `max`).
    public func take(max: Int = .max) -> Batch {
        state.withLock { s in
            let backlog = s.items.count
            let dropped = s.dropped
            s.dropped = 0
            if max >= backlog {
                // Everything: the storage is swapped out under the lock (the
                // receiver waits for a swap, not a copy).
                var all = s.spare ?? Deque()
                s.spare = nil
                swap(&all, &s.items)
                return Batch(items: all, dropped: dropped, backlog: backlog)
            }
            var some: Deque<Received> = []
            some.reserveCapacity(max)
            for _ in 0..<max {
                if let r = s.items.popFirst() { some.append(r) }
            }
            return Batch(items: some, dropped: dropped, backlog: backlog)
        }
    }

    /// Hands a batch's storage back once it has been applied; the next
    /// `take` reuses it. One buffer is kept, and only one of a frame's usual
    /// size (`spareLimit` envelopes): what a burst grew is freed, not kept.
    public func recycle(_ batch: inout Batch) {
        var items: Deque<Received> = []
        swap(&items, &batch.items)
        guard items.count <= spareLimit else { return }
        items.removeAll(keepingCapacity: true)
        state.withLock { s in
            if s.spare == nil { s.spare = items }
        }
    }

    public func close() {
        state.withLock { $0.closed = true }
    }
}

/// The queue's observers. `@unchecked`: written only before the source that
/// pushes starts (task creation orders the writes before every read), so a
/// push reads it without a lock.
final class TapSlot: @unchecked Sendable {
    private(set) var observer: (@Sendable (Received) -> Void)?

    func set(_ f: @escaping @Sendable (Received) -> Void) {
        if let first = observer {
            observer = { r in
                first(r)
                f(r)
            }
        } else {
            observer = f
        }
    }
}
