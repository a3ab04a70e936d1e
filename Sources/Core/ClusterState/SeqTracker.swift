import ClusterProtocol

/// The last seq seen of every source, by the contract's rules: an event's seq
/// replaces its source's (a jump is a gap, a step back a restart); a
/// snapshot sets the seqs of the sources it covers (and its own source's
/// when it names none for it) and leaves the others alone. Bounded: past
/// `capacity` sources the first that `evictable` allows is forgotten. The
/// state (what was applied) and a source's resume point (what was received)
/// both keep one; the rules exist once.
public struct SeqTracker: Sendable, Hashable {
    public private(set) var last: [String: Int64] = [:]
    public let capacity: Int

    public init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// What an event's seq says about its stream.
    public enum Observation: Sendable, Hashable {
        case first, next
        case gap(expected: Int64)
        case restart(last: Int64)
    }

    /// Records `seq` of `source` (an event of the sequence, seq > 0).
    public mutating func observe(_ source: String, _ seq: Int64, evictable: (String) -> Bool = { _ in true }) -> Observation {
        guard let previous = last[source] else {
            if last.count >= capacity, let victim = last.keys.first(where: evictable) ?? last.keys.first {
                last[victim] = nil
            }
            last[source] = seq
            return .first
        }
        last[source] = seq
        if seq == previous + 1 { return .next }
        return seq > previous + 1 ? .gap(expected: previous + 1) : .restart(last: previous)
    }

    /// Records a snapshot from `source` carrying `seq` and covering `seqs`.
    public mutating func cover(_ seqs: [String: Int64], source: String, seq: Int64) {
        for (s, n) in seqs where last[s] != nil || last.count < capacity { last[s] = n }
        if seq > 0, seqs[source] == nil, last[source] != nil || last.count < capacity { last[source] = seq }
    }

    /// Records an envelope of any type (command results stand outside the sequence).
    public mutating func record(_ e: Envelope) {
        if case .snapshot(let s) = e.event {
            cover(s.seqs, source: e.source, seq: e.seq)
        } else if e.seq > 0 {
            _ = observe(e.source, e.seq)
        }
    }
}
