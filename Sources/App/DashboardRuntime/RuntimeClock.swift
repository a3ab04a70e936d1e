import ClusterProtocol
import EventSources

/// The runtime's two clocks, injected so a test can move time by hand: the
/// monotonic one paces frames and ticks; the wall one (or a recording's
/// playhead) is what the model is told the time is.
public struct RuntimeClock: Sendable {
    public var monotonic: @Sendable () -> ContinuousClock.Instant
    public var wall: @Sendable () -> Timestamp

    public init(monotonic: @escaping @Sendable () -> ContinuousClock.Instant, wall: @escaping @Sendable () -> Timestamp) {
        self.monotonic = monotonic
        self.wall = wall
    }

    /// The machine's clocks.
    public static let system = RuntimeClock(monotonic: { ContinuousClock.now }, wall: wallClockNow)
}
