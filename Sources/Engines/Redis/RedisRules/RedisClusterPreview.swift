import ClusterProtocol
import ClusterState
import EngineKit

/// What `CLUSTER FAILOVER` on a Redis Cluster replica needs, previewed on the
/// facts the dashboard holds: a replica, its link to its master up, its
/// bytes behind within the limit, and the cluster's own state `ok`. With
/// its master healthy the failover is the manual kind (the master pauses its
/// clients until the replica has caught up: no write is lost); with the
/// master down it is sent as `CLUSTER FAILOVER FORCE` (no handshake with the
/// master; the other masters must still vote). The cluster's answer is the
/// word that counts.
public enum RedisPreview {
    /// The limit when none is configured: 1 MiB behind.
    public static let defaultLagLimitBytes: Int64 = 1 << 20

    public static func evaluate(candidate: String, state s: ClusterState, lagLimitBytes: Int64?) -> PromotionVerdict {
        var v = VerdictBuilder()
        func record(_ inv: Invariant, _ ok: Bool, _ detail: String, _ reason: RejectionReason) { v.record(inv, ok, detail, reason) }
        guard let n = s.nodes[candidate], n.isPresent else {
            record(.candidateIsReplica, false, "\(candidate) is not a node of the cluster", .unknownNode)
            return v.verdict
        }
        let engine = n.info.engine
        let shard = engine?.shard ?? "?"
        switch n.info.role {
        case .replica: record(.candidateIsReplica, true, "\(candidate) is a replica in shard \(shard)", .notAReplica)
        case .primary: record(.candidateIsReplica, false, "\(candidate) is already a master", .alreadyPrimary)
        default: record(.candidateIsReplica, false, "\(candidate) is \(engine?.state ?? "of no known role")", .notAReplica)
        }
        let master = s.primary(ofShardOf: candidate).flatMap { $0 == candidate ? nil : s.nodes[$0] }
        let masterDown = master.map { $0.info.health == .unhealthy } ?? true
        let linkDown = engine?.state == "master link down"
        let healthy = n.info.health == .healthy || (masterDown && n.info.health == .degraded && linkDown)
        record(.candidateHealthy, healthy, "\(candidate) is \(engine?.state ?? n.info.health.wire)", .nodeUnhealthy)
        if masterDown {
            record(.other("link_to_master"), true, "its master \(master?.id ?? "") is down: the link cannot be up", .notAReplica)
        } else {
            record(
                .other("link_to_master"), !linkDown,
                linkDown ? "its link to \(master?.id ?? "the master") is down" : "link to \(master?.id ?? "the master") up", .lagTooHigh)
        }
        let limit = lagLimitBytes ?? defaultLagLimitBytes
        let f = s.followers[candidate]
        switch f?.lagState {
        case .measured?:
            let lag = f?.lagBytes ?? 0
            record(.candidateCaughtUp, lag <= limit, "\(formatBytes(lag)) behind its master (limit \(formatBytes(limit)))", .lagTooHigh)
        case let other:
            record(
                .candidateCaughtUp, masterDown,
                "bytes behind \(other?.wire ?? "unknown")\(masterDown ? ": its master is down, FORCE takes what it has" : "")", .lagTooHigh)
        }
        let state = s.engine?.state ?? "unknown"
        record(.quorumPresent, state == "ok", "cluster_state \(state)", .noQuorum)
        record(
            .singleWriter, true,
            masterDown
                ? "sent as CLUSTER FAILOVER FORCE: the master is down, the replica asks the other masters for the shard"
                : "CLUSTER FAILOVER: \(master?.id ?? "the master") stops writes until \(candidate) has caught up, then hands over",
            .alreadyPrimary)
        return v.verdict
    }
}
