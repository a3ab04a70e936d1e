import ClusterProtocol
import ClusterState

/// Applies batches from a source to a `ClusterState` and decides when to ask
/// for a snapshot: after a gap, a restart, a delta on the wrong base version,
/// or an overflow of the queue. A value with no clock: `now` is passed in.
public struct Feed: Sendable {
    public var state: ClusterState
    /// Snapshot requests are not repeated to the same endpoint within this time.
    public var resyncIntervalMillis: Int64 = 2_000
    /// A backlog above this is shown as "behind by N".
    public var behindThreshold = 1_000
    public private(set) var lastRequest: [Int: Timestamp] = [:]
    /// Endpoints that need a snapshot but were asked less than
    /// `resyncIntervalMillis` ago: asked once the interval has passed (on the
    /// next batch or `due`), unless a snapshot from them comes first. A gap
    /// soon after a resync is never forgotten.
    public private(set) var pending: Set<Int> = []
    public private(set) var resyncRequests = 0
    /// Snapshot requests per endpoint.
    public private(set) var resyncsByEndpoint: [Int: Int] = [:]
    public private(set) var lastResync: String?
    /// Envelopes waiting when the last batch was taken (when above the threshold).
    public private(set) var behind = 0
    public private(set) var droppedTotal = 0
    public private(set) var versionWarnings = 0

    public init(state: ClusterState = ClusterState()) {
        self.state = state
    }

    /// Applies a batch; returns the endpoints to ask for a snapshot.
    public mutating func apply(_ batch: Batch, endpoints: Int, now: Timestamp) -> [Int] {
        apply(batch, endpoints: endpoints, now: now) { _ in }
    }

    /// The same, handing every envelope the state took (all but the
    /// duplicates) to `accepted`, in order.
    public mutating func apply(_ batch: Batch, endpoints: Int, now: Timestamp, accepted: (Envelope) -> Void) -> [Int] {
        if batch.dropped > 0 {
            droppedTotal += batch.dropped
            lastResync = "fell behind: \(batch.dropped) events dropped"
            pending.formUnion(0..<endpoints)
        }
        behind = batch.backlog > behindThreshold ? batch.backlog : 0
        for r in batch.items {
            let out = state.apply(r.envelope)
            if out.disposition != .duplicate { accepted(r.envelope) }
            if out.versionWarning != nil { versionWarnings += 1 }
            if let why = out.resync {
                lastResync = why.description
                pending.insert(r.endpoint)
            } else if case .snapshot = r.envelope.event, out.disposition == .applied {
                // Made after everything this endpoint sent before it: what
                // was missed is in it.
                pending.remove(r.endpoint)
            }
        }
        return due(now: now)
    }

    /// The endpoints to ask for a snapshot now: those pending whose last
    /// request is older than `resyncIntervalMillis` (the dashboard calls it
    /// on every tick, so a request held back is made even when no more
    /// events come).
    public mutating func due(now: Timestamp) -> [Int] {
        guard !pending.isEmpty else { return [] }
        var requests: [Int] = []
        for endpoint in pending.sorted() {
            if let last = lastRequest[endpoint], now.millis(since: last) < resyncIntervalMillis { continue }
            pending.remove(endpoint)
            lastRequest[endpoint] = now
            resyncRequests += 1
            resyncsByEndpoint[endpoint, default: 0] += 1
            requests.append(endpoint)
        }
        return requests
    }
}
