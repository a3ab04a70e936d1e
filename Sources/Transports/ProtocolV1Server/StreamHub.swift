import ClusterProtocol
import DequeModule

/// One encoded event kept for replay.
public struct StoredFrame: Sendable, Hashable {
    /// Position in the order events were sent.
    public let order: UInt64
    public let source: String
    public let seq: Int64
    public let text: String
}

/// The server side of resume: the last `capacityPerSource` events of every
/// source, encoded once, so a client that reconnects with `resume` gets
/// exactly what it missed, in the order it was sent.
public struct StreamHub: Sendable {
    public let capacityPerSource: Int
    private var rings: [String: Deque<StoredFrame>] = [:]
    private var order: UInt64 = 0

    public init(capacityPerSource: Int = 10_000) {
        self.capacityPerSource = max(1, capacityPerSource)
    }

    /// Encodes and keeps an event; returns the stored frame.
    @discardableResult
    public mutating func record(_ e: Envelope) -> StoredFrame {
        record(e, text: EnvelopeCodec.encodeString(e))
    }

    @discardableResult
    public mutating func record(_ e: Envelope, text: String) -> StoredFrame {
        order += 1
        let frame = StoredFrame(order: order, source: e.source, seq: e.seq, text: text)
        guard e.seq > 0 else { return frame }  // command results are not replayed
        var ring = rings[e.source] ?? Deque()
        rings[e.source] = nil
        ring.append(frame)
        if ring.count > capacityPerSource { ring.removeFirst() }
        rings[e.source] = ring
        return frame
    }

    /// Frames held for a source.
    public func count(for source: String) -> Int { rings[source]?.count ?? 0 }

    /// What a client that saw `resume` (last seq per source) has missed, for
    /// the sources in `covering` (all when nil), merged in send order. Nil
    /// when it cannot be replayed exactly: a seq already evicted, or a seq
    /// the server never sent (it restarted). The caller sends a snapshot then.
    public func replay(after resume: [String: Int64], covering: Set<String>? = nil) -> [StoredFrame]? {
        var parts: [[StoredFrame]] = []
        for (source, ring) in rings where covering?.contains(source) ?? true {
            guard let first = ring.first, let last = ring.last else { continue }
            let seen = resume[source] ?? 0
            if seen > last.seq { return nil }
            if seen < first.seq - 1 { return nil }
            let missed = ring.filter { $0.seq > seen }
            if !missed.isEmpty { parts.append(Array(missed)) }
        }
        // A source the client knows but we hold nothing of: we cannot vouch for it.
        for (source, seq) in resume where seq > 0 && rings[source] == nil && (covering?.contains(source) ?? true) {
            return nil
        }
        return parts.flatMap { $0 }.sorted { $0.order < $1.order }
    }
}
