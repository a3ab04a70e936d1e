import ClusterProtocol
import DequeModule

/// The core's envelopes the publisher could not store yet (the stream has
/// no leader, the lease is not renewed, the window is full, no server
/// answers): kept in order, bounded by count and bytes, and published
/// first, in order, once JetStream takes them again. Past the bound what is
/// held is dropped and nothing more is held: the next epoch opens with a
/// snapshot, and every reader shows the stretch it never received.
struct HeldEnvelopes {
    let maxCount: Int
    let maxBytes: Int
    private(set) var texts: Deque<String> = []
    private(set) var bytes = 0
    /// When the oldest one held came.
    private(set) var since: Timestamp?
    /// Set once the bound was passed: what came from then on is not kept
    /// (a new epoch replaces it). `from` is when the first dropped one came.
    private(set) var lost: (from: Timestamp, events: Int)?

    init(maxCount: Int, maxBytes: Int) {
        self.maxCount = max(1, maxCount)
        self.maxBytes = max(1, maxBytes)
    }

    var isEmpty: Bool { texts.isEmpty }
    var count: Int { texts.count }

    /// Holds a batch that came at `at`; false when it passed the bound (or
    /// the bound was passed before) and nothing is held.
    mutating func hold(_ batch: [String], at: Timestamp) -> Bool {
        guard !batch.isEmpty else { return lost == nil }
        if var l = lost {
            l.events += batch.count
            lost = l
            return false
        }
        let size = batch.reduce(0) { $0 + $1.utf8.count }
        guard texts.count + batch.count <= maxCount, bytes + size <= maxBytes else {
            lost = (since ?? at, texts.count + batch.count)
            texts.removeAll()
            bytes = 0
            since = nil
            return false
        }
        if texts.isEmpty { since = at }
        texts.append(contentsOf: batch)
        bytes += size
        return true
    }

    /// The oldest `limit` held, taken out.
    mutating func take(_ limit: Int) -> [String] {
        let n = min(max(0, limit), texts.count)
        let out = Array(texts.prefix(n))
        texts.removeFirst(n)
        bytes -= out.reduce(0) { $0 + $1.utf8.count }
        if texts.isEmpty { since = nil }
        return out
    }

    /// A new epoch began (or the lease went to another): nothing held is
    /// wanted any more, and holding starts afresh.
    mutating func reset() {
        texts.removeAll()
        bytes = 0
        since = nil
        lost = nil
    }
}
