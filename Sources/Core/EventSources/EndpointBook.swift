import ClusterProtocol

/// The status and counters of a polled source's endpoints (an engine's
/// members asked in turn): live while they answer, backing off with the
/// reason when they do not. Every engine connector keeps one.
public struct EndpointBook: Sendable {
    public private(set) var statuses: [EndpointStatus]
    public private(set) var stats: [EndpointStats]
    private var failures: [Int]
    private var liveSince: [Timestamp?]

    public init(count: Int) {
        statuses = Array(repeating: .connecting(attempt: 1, lastError: nil), count: count)
        stats = Array(repeating: EndpointStats(), count: count)
        failures = Array(repeating: 0, count: count)
        liveSince = Array(repeating: nil, count: count)
    }

    /// Endpoint `i` answered at `now`.
    public mutating func live(_ i: Int, at now: Timestamp) {
        guard statuses.indices.contains(i) else { return }
        if liveSince[i] == nil {
            liveSince[i] = now
            stats[i].connections += 1
        }
        failures[i] = 0
        stats[i].frames += 1
        statuses[i] = .live(since: liveSince[i] ?? now, lastFrameAt: now)
    }

    /// Endpoint `i` sent something that could not be read (the connection stays).
    public mutating func garbage(_ i: Int) {
        if stats.indices.contains(i) { stats[i].decodeErrors += 1 }
    }

    /// Endpoint `i` did not answer (or answered garbage); true for the first
    /// failure in a row (the one worth a log line).
    public mutating func failed(_ i: Int, _ reason: String, garbage: Bool, retryInMillis: Int64, at now: Timestamp) -> Bool {
        guard statuses.indices.contains(i) else { return false }
        liveSince[i] = nil
        failures[i] += 1
        stats[i].failures += 1
        if garbage { stats[i].decodeErrors += 1 }
        statuses[i] = .backingOff(until: now.adding(millis: retryInMillis), attempt: failures[i], reason: reason)
        return failures[i] == 1
    }
}
