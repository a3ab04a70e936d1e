import NATSClient
import Synchronization

/// The active/standby lease: a message on `clusterdash.<cluster>.active` in a
/// stream whose messages live `lease` long. The holder renews it with
/// `Nats-Expected-Last-Subject-Sequence` set to its own last one; anyone
/// else's attempt (expecting none) fails while it lives. It outlives a
/// connection: after a reconnect the holder renews what it holds.
final class Lease: Sendable {
    let subject: String
    let holder: String
    let lease: Duration
    /// The clock the renewals' ages are read on (a test moves it by hand).
    let now: @Sendable () -> ContinuousClock.Instant
    private let state = Mutex<(active: Bool, seq: UInt64, renewed: ContinuousClock.Instant?)>((false, 0, nil))

    init(subject: String, holder: String, lease: Duration, now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }) {
        self.subject = subject
        self.holder = holder
        self.lease = lease
        self.now = now
    }

    enum Standing {
        /// Renewed within two thirds of its life: publish.
        case holding
        /// Held, but not renewed for a while (NATS trouble): neither publish
        /// nor let events go by; wait to learn which.
        case unsure
        /// Another holds it, or nobody had it yet.
        case standby
    }

    var standing: Standing {
        state.withLock { s in
            guard s.active, let r = s.renewed else { return .standby }
            return now() - r < lease * 2 / 3 ? .holding : .unsure
        }
    }

    var isActive: Bool { standing == .holding }

    /// What one publish of the lease message came to.
    enum Attempt: Equatable {
        /// Stored: the lease is ours, at this sequence.
        case stored(seq: UInt64)
        /// Refused: the subject's last sequence is not the one expected
        /// (another holds it, or ours lapsed).
        case wrongSequence
        /// No answer (NATS trouble, a leader being elected).
        case noAnswer
    }

    /// What the lease becomes.
    enum Transition: Equatable {
        case hold(seq: UInt64)
        case lose
        /// As it was: a renewal that is late turns `unsure` on its own.
        case keep
    }

    /// The lease's rule, apart from NATS: `first` is the renewal (or the
    /// bid, when not held); when a held lease was refused, `resumable` says
    /// whether nothing was published meanwhile (nil: JetStream could not
    /// say) and `retake` is the bid made then.
    static func transition(first: Attempt, wasHeld: Bool, ownedAt: UInt64? = nil, resumable: Bool?, retake: Attempt?) -> Transition {
        switch first {
        case .stored(let seq): return .hold(seq: seq)
        case .noAnswer: return .keep
        case .wrongSequence:
            // The lease message names this holder at another sequence (a
            // renewal that timed out was stored after all): still ours.
            if wasHeld, let seq = ownedAt { return .hold(seq: seq) }
            guard wasHeld else { return .lose }
            switch resumable {
            case nil:
                // JetStream could not say: still unsure, asked again (going
                // to standby lets events go by and costs readers an epoch).
                return .keep
            case false?:
                return .lose
            case true?:
                switch retake {
                case .stored(let seq)?: return .hold(seq: seq)
                case .wrongSequence?: return .lose
                case .noAnswer?, nil: return .keep
                }
            }
        }
    }

    /// Holds or seeks the lease through `js` until cancelled. When the lease
    /// held lapsed and nobody holds it now, it is taken again at once if
    /// `resumable` says nothing was published meanwhile: the holder goes on
    /// (unsure, then holding) without a new epoch, rather than through
    /// standby, which lets events go by and so needs one. `resumable`
    /// answers nil when it cannot tell (JetStream not answering): the lease
    /// then stays as it is and is tried again.
    func run(_ js: JetStream, resumable: @Sendable () async -> Bool? = { false }) async {
        while !Task.isCancelled {
            let (held, seq, _) = state.withLock { $0 }
            let first = await attempt(js, expecting: held ? seq : 0)
            var answer: Bool?
            var retake: Attempt?
            var ownedAt: UInt64?
            if first == .wrongSequence, held {
                ownedAt = await ownSequence(js)
                if ownedAt == nil {
                    answer = await resumable()
                    // Taken again only if nobody took it meanwhile (expecting none).
                    if answer == true { retake = await attempt(js, expecting: 0) }
                }
            }
            apply(Self.transition(first: first, wasHeld: held, ownedAt: ownedAt, resumable: answer, retake: retake))
            try? await Task.sleep(for: lease / 6)
        }
    }

    func apply(_ t: Transition) {
        switch t {
        case .hold(let seq):
            let at = now()
            state.withLock { $0 = (true, seq, at) }
        case .lose: state.withLock { $0 = (false, 0, nil) }
        case .keep: break
        }
    }

    /// The lease message's sequence when it names this holder.
    private func ownSequence(_ js: JetStream) async -> UInt64? {
        guard let m = try? await js.lastMessage(stream: NATSPublishConfig.leaseStream, subject: subject), m.data == Array(holder.utf8)
        else { return nil }
        return m.seq
    }

    private func attempt(_ js: JetStream, expecting seq: UInt64) async -> Attempt {
        do {
            let ack = try await js.publish(
                subject, headers: [NATSHeader("Nats-Expected-Last-Subject-Sequence", String(seq))], payload: Array(holder.utf8))
            return .stored(seq: ack.seq)
        } catch let e as JetStream.APIError where e.errCode == JetStream.APIError.wrongLastSequence {
            return .wrongSequence
        } catch {
            return .noAnswer
        }
    }
}
