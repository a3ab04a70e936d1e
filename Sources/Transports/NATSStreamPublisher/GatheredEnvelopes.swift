/// What the core sent within `linger` of the publisher's last message, to
/// go as one message once that time is over (`NATSPublishConfig.linger`).
/// The first envelope after a quiet spell is due at once, so a quiet
/// cluster's events are not delayed; a busy one's share messages, and
/// JetStream's cost and every reader's is per message.
struct GatheredEnvelopes {
    let linger: Duration
    private(set) var texts: [String] = []
    /// When the last message went (taken out).
    private var lastTaken: ContinuousClock.Instant
    /// The wake-up asked for the end of this spell, if any.
    private var wakeUp: Task<Void, Never>?

    init(linger: Duration) {
        self.linger = linger
        lastTaken = .now - linger
    }

    var isEmpty: Bool { texts.isEmpty }
    var count: Int { texts.count }
    /// The linger since the last message is over.
    var isDue: Bool { ContinuousClock.now >= lastTaken + linger }

    mutating func add(_ more: [String]) {
        texts.append(contentsOf: more)
    }

    /// Everything gathered, taken out: a message goes now.
    mutating func take() -> [String] {
        let out = texts
        texts.removeAll(keepingCapacity: true)
        lastTaken = .now
        cancelWake()
        return out
    }

    /// Asks `wake` to run when this spell is over (once per spell): the
    /// publisher's loop waits on the core, and `wake` nudges it.
    mutating func wake(_ wake: @escaping @Sendable () async -> Void) {
        guard wakeUp == nil else { return }
        let at = lastTaken + linger
        wakeUp = Task {
            try? await Task.sleep(until: at, clock: .continuous)
            guard !Task.isCancelled else { return }
            await wake()
        }
    }

    mutating func cancelWake() {
        wakeUp?.cancel()
        wakeUp = nil
    }
}
