import ClusterState

/// A MySQL 8 GTID set (`@@gtid_executed`): for each source (its
/// `server_uuid`, or `uuid:tag` in 8.3 and later) the transaction numbers
/// executed, as intervals: `3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5:7`.
/// Unlike MariaDB's positions a set can have holes, so the gap between two
/// is counted transaction by transaction, not from the last numbers.
public struct GTIDSet: Sendable, Hashable, CustomStringConvertible {
    /// By source, intervals sorted and disjoint.
    public private(set) var intervals: [String: [ClosedRange<UInt64>]]

    public init(_ intervals: [String: [ClosedRange<UInt64>]] = [:]) {
        var out: [String: [ClosedRange<UInt64>]] = [:]
        for (k, v) in intervals {
            let merged = Self.merge(v)
            if !merged.isEmpty { out[k] = merged }
        }
        self.intervals = out
    }

    /// As the server prints it (newlines after the commas allowed); nil for
    /// anything else. At most 10,000 intervals are read.
    public init?(parsing text: String) {
        var out: [String: [ClosedRange<UInt64>]] = [:]
        var count = 0
        for part in text.split(separator: ",") {
            var fields = part.split(separator: ":", omittingEmptySubsequences: false).map { String($0).trimmingWhitespace }
            guard fields.count >= 2, let uuid = fields.first, uuid.count == 36, uuid.allSatisfy({ $0.isHexDigit || $0 == "-" }) else { return nil }
            fields.removeFirst()
            var source = uuid.lowercased()
            // A tag (8.3+) is a name, not a number: it joins the source.
            while let tag = fields.first, let c = tag.first, c.isLetter || c == "_" {
                source += ":" + tag
                fields.removeFirst()
            }
            guard !fields.isEmpty else { return nil }
            for f in fields {
                let ends = f.split(separator: "-", omittingEmptySubsequences: false)
                guard ends.count == 1 || ends.count == 2, let lo = UInt64(ends[0]), let hi = UInt64(ends.last ?? ""), lo >= 1, lo <= hi
                else { return nil }
                count += 1
                guard count <= 10_000 else { return nil }
                out[source, default: []].append(lo...hi)
            }
        }
        self.init(out)
    }

    public var isEmpty: Bool { intervals.isEmpty }

    /// Transactions in the set.
    public var count: UInt64 {
        var n: UInt64 = 0
        for ranges in intervals.values {
            for r in ranges {
                let (sum, overflow) = n.addingReportingOverflow(r.upperBound - r.lowerBound + 1)
                n = overflow ? .max : sum
            }
        }
        return n
    }

    /// What is in this set and not in `other`.
    public func subtracting(_ other: GTIDSet) -> GTIDSet {
        var out: [String: [ClosedRange<UInt64>]] = [:]
        for (source, mine) in intervals {
            var left = mine
            for cut in other.intervals[source] ?? [] {
                left = left.flatMap { r -> [ClosedRange<UInt64>] in
                    guard r.overlaps(cut) else { return [r] }
                    var pieces: [ClosedRange<UInt64>] = []
                    if r.lowerBound < cut.lowerBound { pieces.append(r.lowerBound...(cut.lowerBound - 1)) }
                    if r.upperBound > cut.upperBound { pieces.append((cut.upperBound + 1)...r.upperBound) }
                    return pieces
                }
            }
            if !left.isEmpty { out[source] = left }
        }
        return GTIDSet(out)
    }

    /// Transactions of `other` this set lacks.
    public func behind(_ other: GTIDSet) -> UInt64 { other.subtracting(self).count }

    /// Only the transactions of `source` (a `server_uuid`, with or without tags).
    public func only(source: String) -> GTIDSet {
        let uuid = source.lowercased()
        return GTIDSet(intervals.filter { $0.key == uuid || $0.key.hasPrefix(uuid + ":") })
    }

    public var description: String {
        intervals.keys.sorted().map { k in
            k + (intervals[k] ?? []).map { r in r.lowerBound == r.upperBound ? ":\(r.lowerBound)" : ":\(r.lowerBound)-\(r.upperBound)" }.joined()
        }.joined(separator: ",")
    }

    static func merge(_ ranges: [ClosedRange<UInt64>]) -> [ClosedRange<UInt64>] {
        var out: [ClosedRange<UInt64>] = []
        for r in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = out.last, r.lowerBound <= last.upperBound || r.lowerBound - last.upperBound == 1 {
                out[out.count - 1] = last.lowerBound...max(last.upperBound, r.upperBound)
            } else {
                out.append(r)
            }
        }
        return out
    }
}
