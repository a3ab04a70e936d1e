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
        var wanted: Set<Int> = []
        if batch.dropped > 0 {
            droppedTotal += batch.dropped
            lastResync = "fell behind: \(batch.dropped) events dropped"
            wanted.formUnion(0..<endpoints)
        }
        behind = batch.backlog > behindThreshold ? batch.backlog : 0
        for r in batch.items {
            let out = state.apply(r.envelope)
            if out.disposition != .duplicate { accepted(r.envelope) }
            if out.versionWarning != nil { versionWarnings += 1 }
            if let why = out.resync {
                lastResync = why.description
                wanted.insert(r.endpoint)
            }
        }
        var requests: [Int] = []
        for endpoint in wanted.sorted() {
            if let last = lastRequest[endpoint], now.millis(since: last) < resyncIntervalMillis { continue }
            lastRequest[endpoint] = now
            resyncRequests += 1
            resyncsByEndpoint[endpoint, default: 0] += 1
            requests.append(endpoint)
        }
        return requests
    }
}
