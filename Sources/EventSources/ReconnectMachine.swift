import ClusterProtocol
import ClusterState

/// What one endpoint is doing, as the UI shows it.
public enum EndpointStatus: Sendable, Hashable {
    /// Opening the connection (attempt 1 is the first).
    case connecting(attempt: Int)
    /// Subscribed and receiving; `lastFrameAt` is when the last frame came.
    case live(since: Timestamp, lastFrameAt: Timestamp)
    /// Connected but silent for too long; being reconnected.
    case stale(lastFrameAt: Timestamp)
    /// Waiting before the next attempt.
    case backingOff(until: Timestamp, attempt: Int, reason: String)
    /// The server answered 401: retried slowly.
    case unauthorized(retryAt: Timestamp)
    /// Given up for good (e.g. an invalid URL).
    case failed(reason: String)

    public var isLive: Bool {
        if case .live = self { return true }
        return false
    }

    /// A short word for the status line.
    public var label: String {
        switch self {
        case .connecting: "connecting"
        case .live: "live"
        case .stale: "stale"
        case .backingOff: "backing off"
        case .unauthorized: "unauthorized"
        case .failed: "failed"
        }
    }
}

/// Why a connection ended.
public enum DisconnectReason: Sendable, Hashable {
    /// Closed by either side or dropped; `detail` says what was seen.
    case closed(String)
    /// The upgrade was refused with HTTP 401.
    case unauthorized
    /// A problem no retry can fix.
    case fatal(String)
}

/// The reconnect policy of one endpoint as a value: no clock, no sleeps. The
/// connection loop tells it what happened and asks what to do; tests drive it
/// with made-up times.
///
/// Exponential backoff with full jitter: the n-th retry waits a uniformly
/// random time in [0, min(cap, base * 2^(n-1))]. A connection that stayed
/// healthy for `resetAfter` resets the count. A 401 waits `unauthorizedDelay`
/// (no hammering with a bad token). A live connection that hears nothing for
/// `staleAfter` is stale and is reconnected.
public struct ReconnectMachine: Sendable {
    public struct Policy: Sendable, Hashable {
        public var baseMillis: Int64 = 250
        public var capMillis: Int64 = 30_000
        public var resetAfterMillis: Int64 = 60_000
        public var unauthorizedDelayMillis: Int64 = 30_000
        public var staleAfterMillis: Int64 = 30_000
        /// A handshake that does not complete in this time counts as failed.
        public var connectTimeoutMillis: Int64 = 10_000

        public init() {}
    }

    public enum Action: Sendable, Hashable {
        /// Open a connection now.
        case connect
        /// Wait until then, then call `retryDue(now:)`.
        case wait(until: Timestamp)
        /// Close the connection (it went stale); a `disconnected` call follows.
        case dropStale
        case giveUp
        case nothing
    }

    public let policy: Policy
    public private(set) var status: EndpointStatus = .connecting(attempt: 1)
    /// Failed attempts since the last healthy period.
    public private(set) var failures = 0
    private var connectedAt: Timestamp?
    private var rng: SplitMix64

    public init(policy: Policy = Policy(), seed: UInt64 = 0x5EED) {
        self.policy = policy
        self.rng = SplitMix64(seed: seed)
    }

    /// The delay before retry number `n` (1-based) without jitter: the ceiling of the draw.
    public func ceilingMillis(retry n: Int) -> Int64 {
        let shift = min(max(0, n - 1), 20)
        return min(policy.capMillis, policy.baseMillis << shift)
    }

    /// About to open a connection.
    public mutating func connecting() -> Action {
        status = .connecting(attempt: failures + 1)
        return .connect
    }

    /// The upgrade succeeded and `subscribe` was sent.
    public mutating func connected(now: Timestamp) {
        connectedAt = now
        status = .live(since: now, lastFrameAt: now)
    }

    /// A frame (or a pong) arrived.
    public mutating func heard(now: Timestamp) {
        switch status {
        case .live(let since, _):
            status = .live(since: since, lastFrameAt: now)
            if failures > 0, now.millis(since: since) >= policy.resetAfterMillis { failures = 0 }
        case .stale:
            if let since = connectedAt { status = .live(since: since, lastFrameAt: now) }
        default:
            break
        }
    }

    /// The connection ended (or never came up).
    public mutating func disconnected(now: Timestamp, reason: DisconnectReason) -> Action {
        if let since = connectedAt, now.millis(since: since) >= policy.resetAfterMillis { failures = 0 }
        connectedAt = nil
        switch reason {
        case .fatal(let why):
            status = .failed(reason: why)
            return .giveUp
        case .unauthorized:
            failures += 1
            let at = now.adding(millis: policy.unauthorizedDelayMillis)
            status = .unauthorized(retryAt: at)
            return .wait(until: at)
        case .closed(let why):
            failures += 1
            let ceiling = ceilingMillis(retry: failures)
            let delay = ceiling == 0 ? 0 : Int64(rng.next() % UInt64(ceiling + 1))
            let at = now.adding(millis: delay)
            status = .backingOff(until: at, attempt: failures, reason: why)
            return .wait(until: at)
        }
    }

    /// The wait is over.
    public mutating func retryDue(now: Timestamp) -> Action {
        connecting()
    }

    /// Periodic check (about once a second): is a live connection stale?
    public mutating func tick(now: Timestamp) -> Action {
        if case .live(_, let last) = status, now.millis(since: last) >= policy.staleAfterMillis {
            status = .stale(lastFrameAt: last)
            return .dropStale
        }
        return .nothing
    }
}
