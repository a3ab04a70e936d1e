import ClusterProtocol
import ClusterState
import EngineKit

/// What `SENTINEL FAILOVER` will do, previewed: Sentinel takes no
/// candidate. It picks a replica itself (not down, link up, priority not 0;
/// the lowest priority, then the most data), so the preview says which one
/// it will most likely pick, and whether the sentinels can run a failover
/// at all (enough of them see each other: the quorum and a majority).
public enum SentinelPreview {
    public static func evaluate(candidate: String, state s: ClusterState, likely: String?) -> PromotionVerdict {
        var v = VerdictBuilder()
        func record(_ inv: Invariant, _ ok: Bool, _ detail: String, _ reason: RejectionReason) { v.record(inv, ok, detail, reason) }
        guard let n = s.nodes[candidate], n.isPresent else {
            record(.candidateIsReplica, false, "\(candidate) is not a node of the master \(s.clusterName ?? "")", .unknownNode)
            return v.verdict
        }
        let engine = n.info.engine
        switch n.info.role {
        case .replica: record(.candidateIsReplica, true, "\(candidate) is a replica", .notAReplica)
        case .primary: record(.candidateIsReplica, false, "\(candidate) is already the master", .alreadyPrimary)
        default: record(.candidateIsReplica, false, "\(candidate) is \(engine?.state ?? "of no known role")", .notAReplica)
        }
        record(.candidateHealthy, n.info.health == .healthy, "\(candidate) is \(engine?.state ?? n.info.health.wire)", .nodeUnhealthy)
        let never = engine?.tag("replica_priority") == "0"
        record(
            .other("priority"), !never,
            never ? "replica-priority 0: Sentinel never promotes it" : "replica-priority \(engine?.tag("replica_priority") ?? "?")", .notAReplica)
        let quorum = s.engine?.quorum ?? 0
        let total = s.engine?.sentinels ?? 0
        let seeing = s.engine?.witnesses ?? 0
        let majority = total / 2 + 1
        record(
            .quorumPresent, seeing >= majority,
            "\(seeing)/\(total) sentinels see it; quorum \(quorum), majority \(majority)", .noQuorum)
        record(
            .other("sentinel_chooses"), true,
            "picks itself: likely \(likely ?? "none")" + (likely == candidate || likely == nil ? "" : " (not this)"),
            .notAReplica)
        return v.verdict
    }
}
