import ClusterState

/// One MariaDB global transaction id: `domain-server-seq` (`0-1-206`).
/// Within a domain, `seq` grows by one per transaction whichever server
/// wrote it (under `gtid_strict_mode`), so two positions in one domain
/// differ by that many transactions.
public struct GTID: Sendable, Hashable, CustomStringConvertible {
    public var domain: UInt32
    public var server: UInt32
    public var seq: UInt64

    public init(domain: UInt32, server: UInt32, seq: UInt64) {
        self.domain = domain
        self.server = server
        self.seq = seq
    }

    /// `0-1-206`; nil for anything else.
    public init?(_ text: Substring) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, let d = UInt32(parts[0]), let s = UInt32(parts[1]), let q = UInt64(parts[2]) else { return nil }
        self.init(domain: d, server: s, seq: q)
    }

    public var description: String { "\(domain)-\(server)-\(seq)" }
}

/// A MariaDB GTID position (`@@gtid_current_pos`, `@@gtid_binlog_pos`,
/// `@@gtid_slave_pos`, `Gtid_IO_Pos`): the last transaction of each
/// replication domain, at most one per domain. The empty string is the
/// empty position (nothing yet).
public struct GTIDPosition: Sendable, Hashable, CustomStringConvertible {
    /// By domain.
    public private(set) var last: [UInt32: GTID]

    public init(_ gtids: [GTID] = []) {
        var last: [UInt32: GTID] = [:]
        for g in gtids where (last[g.domain]?.seq ?? 0) <= g.seq { last[g.domain] = g }
        self.last = last
    }

    /// `0-1-206,1-2-33` (spaces and newlines around the commas allowed, as
    /// the server prints long positions); nil when any part is no GTID or a
    /// domain appears twice. At most 1,000 domains are read.
    public init?(parsing text: String) {
        var gtids: [GTID] = []
        for part in text.split(separator: ",") {
            guard let g = GTID(Substring(String(part).trimmingWhitespace)) else { return nil }
            guard !gtids.contains(where: { $0.domain == g.domain }), gtids.count < 1_000 else { return nil }
            gtids.append(g)
        }
        self.init(gtids)
    }

    public var domains: Set<UInt32> { Set(last.keys) }
    public var isEmpty: Bool { last.isEmpty }
    public subscript(domain: UInt32) -> GTID? { last[domain] }

    /// Domain order, as the server prints it.
    public var description: String { last.keys.sorted().compactMap { last[$0]?.description }.joined(separator: ",") }

    /// Transactions in `other` that this position has not reached, summed
    /// over `other`'s domains (a domain this one lacks counts whole); 0 when
    /// this one is level or ahead everywhere.
    public func behind(_ other: GTIDPosition) -> UInt64 {
        var n: UInt64 = 0
        for (domain, g) in other.last {
            let mine = last[domain]?.seq ?? 0
            if g.seq > mine { n += g.seq - mine }
        }
        return n
    }

    /// Whether this position has reached `other` in every domain of `other`.
    public func reaches(_ other: GTIDPosition) -> Bool { behind(other) == 0 }
}
