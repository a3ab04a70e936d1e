import ClusterProtocol

/// Gives envelopes what the contract asks of every source: a unique id, a
/// per-source seq that starts at 1 and grows by exactly 1, and a timestamp.
/// `command.result` carries seq 0 and a snapshot carries its source's last
/// seq without advancing it. The simulator, the flood, the demo stream, the
/// test factory and every engine source stamp through this one type.
public struct EnvelopeStamper: Sendable {
    /// The last seq given to each source.
    public private(set) var seqs: [String: Int64]
    /// What every id starts with (unique per stream).
    public let idPrefix: String
    /// Envelopes stamped so far (the number in the next id minus one).
    public private(set) var counter: UInt64 = 0

    public init(idPrefix: String, seqs: [String: Int64] = [:]) {
        self.idPrefix = idPrefix
        self.seqs = seqs
    }

    /// The seq the next envelope of `event` from `source` carries.
    public mutating func seq(for event: Event, from source: String) -> Int64 {
        switch event {
        case .commandResult: 0
        case .snapshot: seqs[source] ?? 0
        default: nextSeq(from: source)
        }
    }

    /// Advances `source`'s sequence: for a sequenced event.
    public mutating func nextSeq(from source: String) -> Int64 {
        let seq = (seqs[source] ?? 0) + 1
        seqs[source] = seq
        return seq
    }

    /// A new unique id: the prefix and a counter.
    public mutating func nextID() -> String {
        counter += 1
        return "\(idPrefix)\(counter)"
    }

    /// A whole envelope for `event` from `source` at `time`.
    public mutating func stamp(
        _ event: Event, from source: String, at time: Timestamp, correlation: String? = nil, causation: String? = nil
    ) -> Envelope {
        let id = nextID()
        return Envelope(
            id: id, source: source, seq: seq(for: event, from: source), timestamp: time, correlationID: correlation,
            causationID: causation, event: event)
    }

    /// Forgets `source`'s seq (it restarted: its next seq is 1).
    public mutating func restart(_ source: String) { seqs[source] = nil }

    /// Skips `count` seqs of `source` (events lost on the way).
    public mutating func lose(_ count: Int64, from source: String) { seqs[source, default: 0] += count }
}
