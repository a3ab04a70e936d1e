import Synchronization
import Testing

@testable import NATSStreamPublisher

/// The active/standby lease's rule, apart from NATS: what each answer to a
/// renewal makes of it, and how its standing ages on a clock moved by hand.
@Suite struct LeaseTests {
    typealias A = Lease.Attempt

    @Test func aRenewalStoredHoldsAndNoAnswerKeepsWhatWas() {
        #expect(Lease.transition(first: .stored(seq: 7), wasHeld: true) == .hold(seq: 7))
        #expect(Lease.transition(first: .stored(seq: 1), wasHeld: false) == .hold(seq: 1))
        #expect(Lease.transition(first: .noAnswer, wasHeld: true) == .keep)
        #expect(Lease.transition(first: .noAnswer, wasHeld: false) == .keep)
    }

    @Test func aHeldLeaseRefusedIsGivenUpOnlyOnADefiniteAnswer() {
        // Not held: someone else has it.
        #expect(Lease.transition(first: .wrongSequence, wasHeld: false) == .lose)
        // Held, and the lease message names another: standby.
        #expect(Lease.transition(first: .wrongSequence, wasHeld: true, holder: .another("gw-2")) == .lose)
        // Held, and JetStream did not answer the look: still unsure.
        #expect(Lease.transition(first: .wrongSequence, wasHeld: true, holder: .unknown) == .keep)
        // Held, no lease message, and JetStream cannot say whose the last
        // snapshot is (the events stream electing a leader): still unsure,
        // asked again. It went to standby before, let events go by and
        // began a new epoch.
        #expect(Lease.transition(first: .wrongSequence, wasHeld: true, holder: .nobody, resumable: nil) == .keep)
        // Held, and another publisher's epoch is in the stream: standby.
        #expect(Lease.transition(first: .wrongSequence, wasHeld: true, holder: .nobody, resumable: false) == .lose)
        // Held, nothing published meanwhile: taken again in the same epoch;
        // no answer to the bid keeps it unsure.
        #expect(Lease.transition(first: .wrongSequence, wasHeld: true, holder: .nobody, resumable: true, retake: .stored(seq: 9)) == .hold(seq: 9))
        #expect(Lease.transition(first: .wrongSequence, wasHeld: true, holder: .nobody, resumable: true, retake: A.noAnswer) == .keep)
        // The bid refused: whose the message is by then decides.
        #expect(
            Lease.transition(
                first: .wrongSequence, wasHeld: true, holder: .nobody, resumable: true, retake: A.wrongSequence,
                holderAfterRetake: .another("gw-2")) == .lose)
    }

    /// A renewal that timed out but was stored after all (JetStream got
    /// its quorum back): the lease message names this holder at a later
    /// sequence than it knows; that is still its lease, not another's.
    @Test func aRefusedRenewalOfALeaseStillNamingUsHoldsAtItsSequence() {
        #expect(Lease.transition(first: .wrongSequence, wasHeld: true, holder: .this(seq: 12)) == .hold(seq: 12))
        // Not held: a message naming us is not a lease to take back unasked.
        #expect(Lease.transition(first: .wrongSequence, wasHeld: false, holder: .this(seq: 12)) == .lose)
    }

    /// As in a whole kill run (two servers restarted): the renewal and the
    /// bid refused, the bid by this holder's own renewal stored late. It
    /// was given up, and the holder bid against its own message for 6 s
    /// until it aged out; it is ours, and held at its sequence.
    @Test func aBidRefusedByOurOwnMessageHoldsIt() {
        #expect(
            Lease.transition(
                first: .wrongSequence, wasHeld: true, holder: .nobody, resumable: true, retake: A.wrongSequence,
                holderAfterRetake: .this(seq: 40)) == .hold(seq: 40))
        // Not answered, or nobody's after all: unsure, asked again.
        for after: Lease.Holder? in [.unknown, .nobody, nil] {
            #expect(
                Lease.transition(
                    first: .wrongSequence, wasHeld: true, holder: .nobody, resumable: true, retake: A.wrongSequence,
                    holderAfterRetake: after) == .keep)
        }
    }

    @Test func theStandingAgesOnTheInjectedClock() {
        let clock = Mutex(ContinuousClock.now)
        let lease = Lease(subject: "clusterdash.t.active", holder: "me", lease: .seconds(6), now: { clock.withLock { $0 } })
        #expect(lease.standing == .standby)
        lease.apply(.hold(seq: 1))
        #expect(lease.standing == .holding)
        // Two thirds of its life without a renewal: unsure (nothing is
        // published, nothing goes by).
        clock.withLock { $0 = $0.advanced(by: .milliseconds(3_999)) }
        #expect(lease.standing == .holding)
        clock.withLock { $0 = $0.advanced(by: .milliseconds(1)) }
        #expect(lease.standing == .unsure)
        lease.apply(.keep)
        #expect(lease.standing == .unsure)
        lease.apply(.hold(seq: 2))
        #expect(lease.standing == .holding)
        lease.apply(.lose)
        #expect(lease.standing == .standby)
    }
}
