import Synchronization
import Testing

@testable import NATSStreamPublisher

/// The active/standby lease's rule, apart from NATS: what each answer to a
/// renewal makes of it, and how its standing ages on a clock moved by hand.
@Suite struct LeaseTests {
    typealias A = Lease.Attempt

    @Test func aRenewalStoredHoldsAndNoAnswerKeepsWhatWas() {
        #expect(Lease.transition(first: .stored(seq: 7), wasHeld: true, resumable: nil, retake: nil) == .hold(seq: 7))
        #expect(Lease.transition(first: .stored(seq: 1), wasHeld: false, resumable: nil, retake: nil) == .hold(seq: 1))
        #expect(Lease.transition(first: .noAnswer, wasHeld: true, resumable: nil, retake: nil) == .keep)
        #expect(Lease.transition(first: .noAnswer, wasHeld: false, resumable: nil, retake: nil) == .keep)
    }

    @Test func aHeldLeaseRefusedIsGivenUpOnlyOnADefiniteAnswer() {
        // Not held: someone else has it.
        #expect(Lease.transition(first: .wrongSequence, wasHeld: false, resumable: nil, retake: nil) == .lose)
        // Held, and JetStream cannot say whose the last snapshot is (the
        // events stream electing a leader): still unsure, asked again. It
        // went to standby before, let events go by and began a new epoch.
        #expect(Lease.transition(first: .wrongSequence, wasHeld: true, resumable: nil, retake: nil) == .keep)
        // Held, and another publisher's epoch is in the stream: standby.
        #expect(Lease.transition(first: .wrongSequence, wasHeld: true, resumable: false, retake: nil) == .lose)
        // Held, nothing published meanwhile: taken again in the same epoch,
        // unless someone took it first; no answer to the bid keeps it unsure.
        #expect(Lease.transition(first: .wrongSequence, wasHeld: true, resumable: true, retake: .stored(seq: 9)) == .hold(seq: 9))
        #expect(Lease.transition(first: .wrongSequence, wasHeld: true, resumable: true, retake: A.wrongSequence) == .lose)
        #expect(Lease.transition(first: .wrongSequence, wasHeld: true, resumable: true, retake: A.noAnswer) == .keep)
    }

    /// A renewal that timed out but was stored after all (JetStream got
    /// its quorum back): the lease message names this holder at a later
    /// sequence than it knows; that is still its lease, not another's.
    @Test func aRefusedRenewalOfALeaseStillNamingUsHoldsAtItsSequence() {
        #expect(Lease.transition(first: .wrongSequence, wasHeld: true, ownedAt: 12, resumable: nil, retake: nil) == .hold(seq: 12))
        // Not held: a message naming us is not a lease to take back unasked.
        #expect(Lease.transition(first: .wrongSequence, wasHeld: false, ownedAt: 12, resumable: nil, retake: nil) == .lose)
        // Naming another: as before, given up only on a definite answer.
        #expect(Lease.transition(first: .wrongSequence, wasHeld: true, ownedAt: nil, resumable: false, retake: nil) == .lose)
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
