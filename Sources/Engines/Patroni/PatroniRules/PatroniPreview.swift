import ClusterProtocol
import ClusterState
import EngineKit

/// What Patroni itself checks before a switchover or failover, previewed on
/// the facts the dashboard holds: a running replica, not `nofailover`, lag
/// within `maximum_lag_on_failover` (bytes), the cluster not paused, no
/// switchover already scheduled, and a leader present for a switchover (with
/// none, the promotion is sent as a failover). Patroni's own answer stays the
/// word that counts: the preview only says what it will most likely say.
public enum PatroniPreview {
    public static func evaluate(candidate: String, state s: ClusterState, lagLimitBytes: Int64?) -> PromotionVerdict {
        var v = VerdictBuilder()
        func record(_ inv: Invariant, _ ok: Bool, _ detail: String, _ reason: RejectionReason) { v.record(inv, ok, detail, reason) }
        guard let n = s.nodes[candidate], n.isPresent else {
            record(.candidateIsReplica, false, "\(candidate) is not a member", .unknownNode)
            return v.verdict
        }
        let engine = n.info.engine
        let state = engine?.state ?? "unknown"
        switch n.info.role {
        case .replica: record(.candidateIsReplica, true, "\(candidate) is a \(engine?.role?.replacingUnderscores ?? "replica")", .notAReplica)
        case .primary: record(.candidateIsReplica, false, "\(candidate) is already the leader", .alreadyPrimary)
        default: record(.candidateIsReplica, false, "\(candidate) is \(engine?.role ?? "of no known role")", .notAReplica)
        }
        let running = (state == "running" || state == "streaming") && n.info.health != .unhealthy
        record(.candidateHealthy, running, "\(candidate) is \(state)\(n.info.health == .healthy ? "" : ", \(n.info.health.wire)")", .nodeUnhealthy)
        let noFailover = engine?.tag("nofailover") == "true"
        record(
            .other("not_nofailover"), !noFailover, noFailover ? "\(candidate) is tagged nofailover: Patroni never promotes it" : "no nofailover tag",
            .notAReplica)
        let limit = lagLimitBytes ?? s.engine?.maximumLagOnFailover
        let f = s.followers[candidate]
        switch f?.lagState {
        case .measured?:
            let lag = f?.lagBytes ?? 0
            if let limit {
                record(
                    .candidateCaughtUp, lag <= limit, "\(formatBytes(lag)) behind (limit \(formatBytes(limit)), maximum_lag_on_failover)",
                    .lagTooHigh)
            } else {
                record(.candidateCaughtUp, true, "\(formatBytes(lag)) behind (no limit known)", .lagTooHigh)
            }
        case .ahead?: record(.candidateCaughtUp, true, "reports ahead of the leader", .lagTooHigh)
        case let other:
            record(.candidateCaughtUp, false, "lag is \(other?.wire ?? "unknown"): Patroni will not pick it", .lagTooHigh)
        }
        let paused = s.engine?.paused ?? false
        record(.notInhibited, !paused, paused ? "the cluster is paused (maintenance mode)" : "the cluster is not paused", .failoverInhibited)
        let scheduled = s.engine?.scheduledSwitchover
        record(
            .other("no_scheduled_switchover"), scheduled == nil,
            scheduled.map { "a switchover is already scheduled\($0.at.map { " for \($0.clockTime)" } ?? "")" } ?? "no switchover scheduled",
            .failoverInhibited)
        let leader = s.primaries.first { s.nodes[$0]?.info.health != .unhealthy }
        if let leader, leader != candidate {
            record(.singleWriter, true, "switchover: \(leader) hands over to \(candidate)", .alreadyPrimary)
        } else if leader == nil {
            record(.singleWriter, true, "no healthy leader: sent as a failover to \(candidate)", .alreadyPrimary)
        }
        return v.verdict
    }
}
