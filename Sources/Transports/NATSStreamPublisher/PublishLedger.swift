import Synchronization

/// Publishes sent and acknowledged, by their ack number (one session's).
final class AckBox: Sendable {
    private let state = Mutex<(sent: [Int: ContinuousClock.Instant], acked: Set<Int>)>(([:], []))
    /// The clock a publish's wait is read on (a test moves it by hand).
    let now: @Sendable () -> ContinuousClock.Instant

    init(now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }) { self.now = now }

    func sent(_ n: Int) {
        let at = now()
        state.withLock { $0.sent[n] = at }
    }
    func acknowledged(_ n: Int) { state.withLock { s in if s.sent[n] != nil { s.acked.insert(n) } } }

    /// `n` is published again under another number: its answer no longer counts.
    func forget(_ n: Int) {
        state.withLock { s in
            s.sent[n] = nil
            s.acked.remove(n)
        }
    }

    /// True (and forgotten) when `n` was acknowledged.
    func take(_ n: Int) -> Bool {
        state.withLock { s in
            guard s.acked.remove(n) != nil else { return false }
            s.sent[n] = nil
            return true
        }
    }

    /// How long `n` has waited; nil when it was not sent in this session.
    func age(of n: Int) -> Duration? {
        let at = now()
        return state.withLock { s in s.sent[n].map { at - $0 } }
    }
}

/// Which run of publishing the stream's events belong to
/// (`Clusterdash-Epoch`): a new one whenever events went by unpublished, so
/// readers know to start again from the snapshot that opens it.
struct Epoch {
    let instance: String
    var id = ""
    var started = false
    /// Events went by unpublished since the epoch began.
    var skipped = false
    /// Nothing of this epoch is published before its snapshot.
    var awaitingSnapshot = false

    init(instance: String) { self.instance = instance }

    mutating func renew() {
        id = "\(instance)-\(UInt32.random(in: 0...UInt32.max))"
        started = true
        skipped = false
        awaitingSnapshot = true
    }
}
