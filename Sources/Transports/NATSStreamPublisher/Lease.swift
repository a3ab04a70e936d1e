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
    private let state = Mutex<(active: Bool, seq: UInt64, renewed: ContinuousClock.Instant?, otherHolder: String?)>((false, 0, nil, nil))

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

    /// The publisher whose lease message was seen when this one gave the
    /// lease up (nil: none was seen; it lapsed, or was never held).
    var otherHolder: String? { state.withLock { $0.otherHolder } }

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

    /// Whose the lease message is, as JetStream answered a look at it.
    enum Holder: Equatable {
        /// It names this holder, at this sequence.
        case this(seq: UInt64)
        /// It names another publisher.
        case another(String)
        /// There is none (it aged out, or its stream lost it).
        case nobody
        /// JetStream did not answer.
        case unknown
    }

    /// The lease's rule, apart from NATS: `first` is the renewal (or the
    /// bid, when not held). When a held lease was refused, `holder` says
    /// whose the lease message is; when it is nobody's, `resumable` says
    /// whether nothing was published meanwhile (nil: JetStream could not
    /// say), `retake` is the bid made then and, when that was refused,
    /// `holderAfterRetake` whose the message is by then.
    ///
    /// A held lease is given up only for another holder or another's
    /// epoch: a look JetStream did not answer, and a bid refused with no
    /// other holder seen, keep it unsure and ask again. Given up on such a
    /// refusal (two servers restarted; the bid refused by this holder's own
    /// renewal, stored late), the holder bid against its own message until
    /// it aged out: 6 s of history went to nobody.
    static func transition(
        first: Attempt, wasHeld: Bool, holder: Holder? = nil, resumable: Bool? = nil, retake: Attempt? = nil,
        holderAfterRetake: Holder? = nil
    ) -> Transition {
        switch first {
        case .stored(let seq): return .hold(seq: seq)
        case .noAnswer: return .keep
        case .wrongSequence:
            // Not held: someone else has it (a message naming this holder
            // is not a lease to take back unasked).
            guard wasHeld else { return .lose }
            guard holder == .nobody else { return byHolder(holder) }
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
                case .wrongSequence?: return byHolder(holderAfterRetake)
                case .noAnswer?, nil: return .keep
                }
            }
        }
    }

    /// A held lease by whose its message is: still ours (a renewal that
    /// timed out was stored after all), another's, or not known yet.
    private static func byHolder(_ holder: Holder?) -> Transition {
        switch holder {
        case .this(let seq)?: return .hold(seq: seq)
        case .another?: return .lose
        case .nobody?, .unknown?, nil: return .keep
        }
    }

    /// Holds or seeks the lease through `js` until cancelled. When the lease
    /// held lapsed and nobody holds it now, it is taken again at once if
    /// `resumable` says nothing was published meanwhile: the holder goes on
    /// (unsure, then holding) without a new epoch, rather than through
    /// standby, which lets events go by and so needs one. `resumable`
    /// answers nil when it cannot tell (JetStream not answering): the lease
    /// then stays as it is and is tried again. A held lease given up is
    /// said to `log` with everything that decided it.
    func run(_ js: JetStream, log: @Sendable (String) -> Void = { _ in }, resumable: @Sendable () async -> Bool? = { false }) async {
        while !Task.isCancelled {
            let (held, seq) = state.withLock { ($0.active, $0.seq) }
            let first = await attempt(js, expecting: held ? seq : 0)
            var holder: Holder?
            var answer: Bool?
            var retake: Attempt?
            var holderAfterRetake: Holder?
            if first == .wrongSequence, held {
                holder = await self.holder(js)
                if holder == .nobody {
                    answer = await resumable()
                    // Taken again only if nobody took it meanwhile (expecting none).
                    if answer == true { retake = await attempt(js, expecting: 0) }
                    if retake == .wrongSequence { holderAfterRetake = await self.holder(js) }
                }
            }
            if case .another(let name)? = holderAfterRetake ?? holder { state.withLock { $0.otherHolder = name } }
            let transition = Self.transition(
                first: first, wasHeld: held, holder: holder, resumable: answer, retake: retake, holderAfterRetake: holderAfterRetake)
            if held, transition == .lose {
                log(
                    "lease given up: the renewal expecting seq \(seq) was \(first); its message \(holder.map { "\($0)" } ?? "unlooked"), resumable \(answer.map { "\($0)" } ?? "unasked"), retake \(retake.map { "\($0)" } ?? "none"), then \(holderAfterRetake.map { "\($0)" } ?? "unlooked")"
                )
            }
            apply(transition)
            try? await Task.sleep(for: lease / 6)
        }
    }

    func apply(_ t: Transition) {
        switch t {
        case .hold(let seq):
            let at = now()
            state.withLock { $0 = (true, seq, at, nil) }
        case .lose: state.withLock { $0 = (false, 0, nil, $0.otherHolder) }
        case .keep: break
        }
    }

    /// Whose the lease message is now.
    private func holder(_ js: JetStream) async -> Holder {
        do {
            guard let m = try await js.lastMessage(stream: NATSPublishConfig.leaseStream, subject: subject) else { return .nobody }
            return m.data == Array(holder.utf8) ? .this(seq: m.seq) : .another(String(decoding: m.data, as: UTF8.self))
        } catch {
            return .unknown
        }
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
