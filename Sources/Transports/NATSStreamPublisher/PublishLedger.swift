import ClusterProtocol
import EventSources
import Synchronization

/// Publishes sent and acknowledged, by their ack number (one session's).
final class AckBox: Sendable {
    /// Sent: when; acknowledged: at which stream sequence.
    private let state = Mutex<(sent: [Int: ContinuousClock.Instant], acked: [Int: UInt64], roomWanted: Bool)>(([:], [:], false))
    /// The clock a publish's wait is read on (a test moves it by hand).
    let now: @Sendable () -> ContinuousClock.Instant

    init(now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }) { self.now = now }

    /// `n` was published.
    func sent(_ n: Int) {
        let at = now()
        state.withLock { $0.sent[n] = at }
    }
    /// `n` was stored at stream sequence `seq`. True when the publisher
    /// waits for room in its window (and will be woken now).
    @discardableResult
    func acknowledged(_ n: Int, seq: UInt64) -> Bool {
        state.withLock { s in
            if s.sent[n] != nil { s.acked[n] = seq }
            defer { s.roomWanted = false }
            return s.roomWanted
        }
    }

    /// The window is full: the next acknowledgement says so.
    func wantRoom() { state.withLock { $0.roomWanted = true } }

    /// `n` is published again under another number: its answer no longer counts.
    func forget(_ n: Int) {
        state.withLock { s in
            s.sent[n] = nil
            s.acked[n] = nil
        }
    }

    /// Whether `n` is a publish of this session not published again since
    /// (an answer to one that was is about a copy that no longer counts).
    func isCurrent(_ n: Int) -> Bool { state.withLock { $0.sent[n] != nil } }

    /// The stream sequence `n` was stored at (and `n` forgotten); nil while
    /// it is not acknowledged.
    func take(_ n: Int) -> UInt64? {
        state.withLock { s in
            guard let seq = s.acked.removeValue(forKey: n) else { return nil }
            s.sent[n] = nil
            return seq
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
    /// The epoch follows a loss: events passed over for its snapshot
    /// (read after it was asked for, made before it) are history readers
    /// lose too, and are counted so.
    var followsLoss = false
    /// What went by unpublished while this publisher was the active one
    /// (the next epoch says it is lost): from when, and how many events
    /// (those the core dropped are not counted: nobody saw them).
    private(set) var lost: (from: Timestamp, events: Int)?
    /// The last envelope read from the core: a stretch the core drops
    /// (this publisher too slow for it) begins right after it.
    var lastRead: String?

    init(instance: String) { self.instance = instance }

    mutating func renew() {
        id = "\(instance)-\(UInt32.random(in: 0...UInt32.max))"
        restart()
    }

    /// Opens this epoch again with a new snapshot, under the same id: for
    /// one none of whose messages reached the stream (readers never saw it).
    mutating func restart() {
        started = true
        skipped = false
        awaitingSnapshot = true
        followsLoss = false
        lost = nil
    }

    /// Events from `from` on went by unpublished: a new epoch, which says
    /// they are lost.
    mutating func lose(from: Timestamp, events: Int) {
        skipped = true
        lost = (min(from, lost?.from ?? from), (lost?.events ?? 0) + events)
    }

    /// What went by unpublished, taken out (nil: nothing).
    mutating func takeLost() -> (from: Timestamp, events: Int)? {
        defer { lost = nil }
        return lost
    }

    /// The core dropped this publisher: what it sent after the last
    /// envelope read is lost (a standby's events are another's to publish:
    /// only skipped).
    mutating func coreDropped(standby: Bool = false) {
        guard !standby else {
            skipped = true
            return
        }
        let from = lastRead.flatMap { try? EnvelopeCodec.decode($0) }.map { Timestamp(millis: $0.timestamp.millis.saturatingAdd(1)) }
        lose(from: from ?? wallClockNow(), events: 0)
    }
}
