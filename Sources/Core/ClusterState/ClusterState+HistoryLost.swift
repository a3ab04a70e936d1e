import ClusterProtocol

/// A stretch of the cluster's history this state never received: events
/// of the sequence that went by (a gap, or a snapshot that starts later
/// than the last event applied) and can no longer come. The state after
/// the snapshot is whole again; the failover log, the incident timeline
/// and bundles of that stretch are not, and say so.
public struct LostHistory: Sendable, Hashable {
    /// The last event applied before the hole (the previous snapshot's time
    /// when no event came after it).
    public var from: Timestamp
    /// The first envelope after it (the snapshot or the event past the gap).
    public var to: Timestamp
    /// Events of the sequence never received, summed over `sources`.
    public var events: Int64
    /// The sources whose events are missing, by name.
    public var sources: [String]
}

extension ClusterState {
    /// The lost stretches kept, oldest first.
    static let lostHistoryCap = 32

    /// The events a snapshot's seqs skip past what was applied, by source
    /// (none for a source never seen, or one that restarted lower).
    func skipped(by s: ClusterSnapshot, envelope e: Envelope) -> [String: Int64] {
        var seqs = s.seqs
        if e.seq > 0, seqs[e.source] == nil { seqs[e.source] = e.seq }
        var out: [String: Int64] = [:]
        for (source, n) in seqs {
            guard let last = seqTracker.last[source], n > last else { continue }
            out[source] = n.saturatingSubtract(last)
        }
        return out
    }

    /// Records a lost stretch ending at `e` (a line in the log, and the list).
    mutating func noteLostHistory(_ skipped: [String: Int64], before e: Envelope) {
        guard !skipped.isEmpty, let from = lastSequencedAt else { return }
        let events = skipped.values.reduce(Int64(0)) { $0.saturatingAdd($1) }
        let lost = LostHistory(from: from, to: max(from, e.timestamp), events: events, sources: skipped.keys.sorted(by: naturalLess))
        lostHistory.append(lost)
        if lostHistory.count > Self.lostHistoryCap { lostHistory.removeFirst() }
        appendLog(e, .warning, .historyLost(lost), kind: .historyLost)
    }
}
