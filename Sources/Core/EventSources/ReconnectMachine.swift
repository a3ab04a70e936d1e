import ClusterProtocol
import ClusterState

/// What one endpoint is doing, as the UI shows it.
public enum EndpointStatus: Sendable, Hashable {
    /// Opening the connection (attempt 1 is the first); `lastError` says why
    /// the previous attempt failed.
    case connecting(attempt: Int, lastError: String? = nil)
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

    /// What the screen and the log say.
    public var text: String {
        switch self {
        case .closed(let s): s
        case .unauthorized: "401 unauthorized (token missing or rejected)"
        case .fatal(let s): s
        }
    }
}

/// The reconnect policy of one endpoint as a value: no clock, no sleeps. The
/// connection loop tells it what happened and asks what to do; tests drive it
/// with made-up times.
///
/// Exponential backoff with jitter: the n-th retry waits a uniformly random
/// time up to c = min(cap, base * 2^(n-1)), from [0, c] for the first retry
/// and from [c/2, c] after it (a hard bound on attempts a minute). The count resets when a
/// connection was healthy: its subscription was answered (the first envelope
/// came) and it then held for `settle`, or it stayed up for `resetAfter`. A
/// server that accepts and drops at once never gets there, so its attempts
/// keep backing off. For `restartWindow` after a healthy connection ended the
/// ceiling is `restartCap`: a server that just went away is most likely
/// restarting, and the dashboard is live again within about that long of it
/// accepting. A 401 waits `unauthorizedDelay` (no hammering with a bad
/// token). A live connection that hears nothing for `staleAfter` is stale and
/// is reconnected.
public struct ReconnectMachine: Sendable {
    public struct Policy: Sendable, Hashable {
        public var baseMillis: Int64 = 250
        public var capMillis: Int64 = 30_000
        public var resetAfterMillis: Int64 = 60_000
        /// An answered subscription that holds this long makes a connection
        /// healthy. Half a second: a server killed about a second after each
        /// reconnect and restarted at once counted every connection a failure
        /// at 1 s, and the backoff climbed to its cap while the server was up
        /// (p50 16.8 s blind); one that drops within it still backs off.
        public var settleMillis: Int64 = 500
        /// The ceiling of every retry for `restartWindowMillis` after a healthy connection ended.
        public var restartCapMillis: Int64 = 2_000
        public var restartWindowMillis: Int64 = 60_000
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
    private var subscribedAt: Timestamp?
    private var healthyEndedAt: Timestamp?
    /// Why the last attempt or connection ended (nil before the first end).
    public private(set) var lastError: String?
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

    /// The ceiling for retry `n` at `now`: `ceilingMillis(retry:)`, held at
    /// `restartCap` soon after a healthy connection ended.
    public func ceilingMillis(retry n: Int, now: Timestamp) -> Int64 {
        let ceiling = ceilingMillis(retry: n)
        if let ended = healthyEndedAt, now.millis(since: ended) < policy.restartWindowMillis {
            return min(ceiling, policy.restartCapMillis)
        }
        return ceiling
    }

    /// About to open a connection.
    public mutating func connecting() -> Action {
        status = .connecting(attempt: failures + 1, lastError: lastError)
        return .connect
    }

    /// The upgrade succeeded and `subscribe` was sent.
    public mutating func connected(now: Timestamp) {
        connectedAt = now
        status = .live(since: now, lastFrameAt: now)
    }

    /// The subscription was answered: the first envelope of this connection
    /// (a snapshot, or the replay after `resume`) was decoded.
    public mutating func subscribed(now: Timestamp) {
        if connectedAt != nil && subscribedAt == nil { subscribedAt = now }
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
        let settled = subscribedAt.map { now.millis(since: $0) >= policy.settleMillis } ?? false
        let lasted = connectedAt.map { now.millis(since: $0) >= policy.resetAfterMillis } ?? false
        if settled || lasted {
            failures = 0
            healthyEndedAt = now
        }
        connectedAt = nil
        subscribedAt = nil
        lastError = reason.text
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
            let ceiling = ceilingMillis(retry: failures, now: now)
            // The first retry draws from the whole range; later ones from its
            // upper half, so that no run of lucky draws can hammer a server:
            // attempts per minute have a hard bound whatever the jitter.
            let floor = failures > 1 ? ceiling / 2 : 0
            let delay = floor + (ceiling - floor == 0 ? 0 : Int64(rng.next() % UInt64(ceiling - floor + 1)))
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
