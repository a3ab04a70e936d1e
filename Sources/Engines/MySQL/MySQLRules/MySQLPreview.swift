import ClusterProtocol
import ClusterState
import EngineKit

/// What a switchover (the primary healthy) or a failover (the primary
/// down) to a replica needs, previewed on the facts the dashboard holds:
/// a replica that answers, its SQL thread running (and its IO thread, for
/// a switchover), a binlog it writes replicated transactions to (so it can
/// serve replicas), lag within the limits, no errant transaction, the
/// primary's GTID domains, no switchover already running, and every other
/// replica able to follow it (none ahead of it).
public enum MySQLPreview {
    /// Transactions behind a candidate may be when no limit is given.
    public static let defaultLagLimitTransactions: Int64 = 1_000

    /// Why a server of `version` cannot be switched over to (nil: it can):
    /// clusterdash runs MariaDB's statements (`MASTER_USE_GTID`), so a
    /// MySQL 8 server is watched, not switched over (docs/ENGINES.md).
    public static func switchoverUnsupported(version: String?) -> String? {
        guard let version, !version.isEmpty, !version.contains("MariaDB") else { return nil }
        return "runs MySQL \(version): clusterdash switches over MariaDB only"
    }

    public static func evaluate(candidate: String, state s: ClusterState, limits: PreviewLimits) -> PromotionVerdict {
        var v = VerdictBuilder()
        guard let n = s.nodes[candidate], n.isPresent else {
            v.record(.candidateIsReplica, false, "\(candidate) is not a server of this topology", .unknownNode)
            return v.verdict
        }
        let e = n.info.engine
        switch n.info.role {
        case .replica:
            v.record(.candidateIsReplica, true, "\(candidate) is a \(e?.role?.replacingUnderscores ?? "replica")", .notAReplica)
        case .primary:
            v.record(.candidateIsReplica, false, "\(candidate) is already the primary", .alreadyPrimary)
        default:
            v.record(.candidateIsReplica, false, "\(candidate) replicates from nobody: \(e?.state ?? "role unknown")", .notAReplica)
        }
        let primary = s.primaries.first { $0 != candidate && s.nodes[$0]?.isPresent == true }
        let primaryUp = primary.map { s.nodes[$0]?.info.health == .healthy || s.nodes[$0]?.info.health == .degraded } ?? false
        let answering = n.info.health == .healthy || n.info.health == .degraded
        v.record(
            .candidateHealthy, answering, answering ? "\(candidate) answers" : "\(candidate) is \(n.info.health.wire): \(e?.state ?? "?")",
            .nodeUnhealthy)
        let sql = e?.tag("sql_thread") ?? "unknown"
        let io = e?.tag("io_thread") ?? "unknown"
        if primaryUp {
            let ok = sql == "Yes" && io == "Yes"
            v.record(.other("replication_running"), ok, "IO thread \(io), SQL thread \(sql)", .nodeUnhealthy)
        } else {
            // Its source is down: the IO thread cannot connect, and need not.
            v.record(.other("replication_running"), sql == "Yes", "SQL thread \(sql) (IO \(io): the primary is down)", .nodeUnhealthy)
        }
        let logBin = e?.tag("log_bin") == "true"
        let logUpdates = e?.tag("log_slave_updates") == "true"
        v.record(
            .other("can_serve_replicas"), logBin && logUpdates,
            logBin && logUpdates
                ? "log_bin and log_slave_updates are on: it can serve the other replicas"
                : "log_bin \(logBin ? "on" : "off"), log_slave_updates \(logUpdates ? "on" : "off"): the other replicas could not follow it",
            .notAReplica)
        if let why = switchoverUnsupported(version: e?.tag("version")) {
            v.record(.other("switchover_supported"), false, "\(candidate) \(why), nothing would be sent", .failoverInhibited)
        }
        let errant = e?.tag("errant")
        v.record(
            .other("no_errant_transactions"), errant == nil,
            errant.map { "errant transaction \($0): written on \(candidate), never on its source" } ?? "no errant transaction",
            .notAReplica)
        lag(&v, candidate, s, limits, primaryUp: primaryUp)
        let mine = executed(e)
        if let primary, let theirs = executed(s.nodes[primary]?.info.engine), let mine {
            let missing = theirs.domains.subtracting(mine.domains).sorted()
            v.record(
                .other("same_gtid_domains"), missing.isEmpty,
                missing.isEmpty
                    ? "the same GTID domains as \(primary)"
                    : "lacks GTID domain\(missing.count == 1 ? "" : "s") \(missing.map(String.init).joined(separator: ", ")) of \(primary)",
                .notAReplica)
        }
        followers(&v, candidate, mine, s, primaryUp: primaryUp)
        let running = s.engine?.scheduledSwitchover
        v.record(
            .notInhibited, running == nil,
            running.map { "a switchover is already running: \($0.from ?? "?") -> \($0.to ?? "?")" } ?? "no switchover running",
            .failoverInhibited)
        if let primary, primaryUp {
            v.record(.singleWriter, true, "switchover: \(primary) is made read-only first, then \(candidate) writable", .alreadyPrimary)
        } else {
            v.record(.singleWriter, true, "failover: \(primary ?? "the primary") is down; \(candidate) is made writable", .alreadyPrimary)
        }
        return v.verdict
    }

    /// A node's executed GTID position: the first word of its `position`
    /// (after it the mapper may say what was received and not yet applied).
    static func executed(_ e: EngineNodeInfo?) -> GTIDPosition? {
        e?.position?.split(separator: " ").first.flatMap { GTIDPosition(parsing: String($0)) }
    }

    static func lag(_ v: inout VerdictBuilder, _ candidate: String, _ s: ClusterState, _ limits: PreviewLimits, primaryUp: Bool) {
        let limit = limits.lagLimitTransactions ?? defaultLagLimitTransactions
        let f = s.followers[candidate]
        let engine = s.nodes[candidate]?.info.engine
        var words: [String] = []
        var ok = true
        if f?.lagState == .measured, let behind = f?.lagBytes {
            words.append("\(behind) transactions behind (limit \(limit))")
            ok = behind <= limit
        } else if primaryUp {
            words.append("transactions behind unknown")
            ok = false
        }
        if engine?.timeBehind == .measured, let ms = engine?.timeBehindMillis {
            words.append("\(ms / 1000) s behind (limit \(limits.lagLimitMillis / 1000) s)")
            ok = ok && ms <= limits.lagLimitMillis
        } else if primaryUp {
            words.append("seconds behind unknown")
        }
        if !primaryUp { words.append("the primary is down: measured against the other replicas below") }
        v.record(.candidateCaughtUp, ok, words.joined(separator: ", "), .lagTooHigh)
    }

    /// Every other replica can follow the candidate: none has executed a
    /// transaction the candidate lacks. In a switchover the candidate first
    /// catches up with the primary, so only the primary's position counts.
    static func followers(_ v: inout VerdictBuilder, _ candidate: String, _ mine: GTIDPosition?, _ s: ClusterState, primaryUp: Bool) {
        guard !primaryUp else {
            v.record(
                .other("replicas_can_follow"), true, "every replica can follow: \(candidate) first waits for the primary's position", .lagTooHigh)
            return
        }
        guard let mine else {
            v.record(.other("replicas_can_follow"), false, "\(candidate)'s GTID position is unknown", .lagTooHigh)
            return
        }
        var ahead: [String] = []
        var most: (String, UInt64)?
        for id in s.nodeIDs where id != candidate {
            guard let n = s.nodes[id], n.isPresent, n.info.role == .replica,
                let theirs = executed(n.info.engine)
            else { continue }
            let gap = mine.behind(theirs)
            if gap > 0 {
                ahead.append("\(id) by \(gap)")
                if gap > (most?.1 ?? 0) { most = (id, gap) }
            }
        }
        v.record(
            .other("replicas_can_follow"), ahead.isEmpty,
            ahead.isEmpty
                ? "\(candidate) is the most advanced replica: every other can follow it"
                : "ahead of \(candidate): \(ahead.joined(separator: ", ")) transactions; promote \(most?.0 ?? "the most advanced") instead",
            .lagTooHigh)
    }
}
