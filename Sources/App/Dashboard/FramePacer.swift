/// The frame clock: frames fall due on a fixed grid of deadlines (every 33 ms
/// at 30 fps), not "33 ms after the last frame ended", so time spent drawing
/// or a late wake-up does not push every later frame back. A loop asks how
/// long it may wait for input, then whether a frame is due.
public struct FramePacer: Sendable {
    public let interval: Duration
    private var next: ContinuousClock.Instant

    public init(interval: Duration = .milliseconds(33), start: ContinuousClock.Instant) {
        self.interval = interval
        next = start
    }

    /// How long until the next frame is due (zero when it is due now), in
    /// whole milliseconds rounded up, for an input wait's timeout.
    public func millisUntilDue(at now: ContinuousClock.Instant) -> Int {
        guard next > now else { return 0 }
        let d = (next - now).components
        return Int(d.seconds) * 1_000 + Int((d.attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000)
    }

    /// True when a frame is due at `now`; moves the deadline one interval on.
    /// After a stall longer than a frame, the grid restarts from `now` (one
    /// frame, not a burst of catch-up frames).
    public mutating func due(at now: ContinuousClock.Instant) -> Bool {
        guard now >= next else { return false }
        next = next.advanced(by: interval)
        if next <= now { next = now.advanced(by: interval) }
        return true
    }
}
