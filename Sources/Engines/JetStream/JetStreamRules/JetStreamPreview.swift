import ClusterProtocol
import ClusterState
import EngineKit

/// The meta leader's step-down toward a server, previewed on the facts the
/// dashboard holds: the candidate a follower that answers, current in the
/// meta group within the limit, the meta quorum present and a meta leader
/// there to step down. nats-server 2.11 and later take the preferred
/// server; 2.9 elects one itself. Its answer stays the word that counts.
public enum JetStreamPreview {
    /// Raft entries a server may be behind without a limit configured.
    public static let defaultLagLimitEntries: Int64 = 100

    public static func evaluate(candidate: String, state s: ClusterState, limits: PreviewLimits) -> PromotionVerdict {
        var v = VerdictBuilder()
        guard let n = s.nodes[candidate], n.isPresent else {
            v.record(.candidateIsReplica, false, "\(candidate) is not a server of the cluster", .unknownNode)
            return v.verdict
        }
        switch n.info.role {
        case .primary: v.record(.candidateIsReplica, false, "\(candidate) is already the meta leader", .alreadyPrimary)
        case .replica: v.record(.candidateIsReplica, true, "\(candidate) follows the meta leader", .notAReplica)
        default: v.record(.candidateIsReplica, false, "\(candidate)'s role is not known (no system-account view)", .notAReplica)
        }
        let state = n.info.engine?.state ?? "unknown"
        v.record(.candidateHealthy, n.info.health == .healthy, "\(candidate) is \(state)", .nodeUnhealthy)
        let limit = limits.lagLimitTransactions ?? defaultLagLimitEntries
        let unit = JetStreamRules.lagUnit
        switch s.followers[candidate]?.lagState {
        case .measured?:
            let lag = s.followers[candidate]?.lagBytes ?? 0
            v.record(
                .candidateCaughtUp, lag <= limit,
                "\(formatLagCount(lag, unit: unit)) behind in the meta group (limit \(formatLagCount(limit, unit: unit)))", .lagTooHigh)
        case .ahead?: v.record(.candidateCaughtUp, true, "reports ahead of the meta leader", .lagTooHigh)
        case let other: v.record(.candidateCaughtUp, false, "meta lag is \(other?.wire ?? "unknown")", .lagTooHigh)
        }
        let q = s.quorum
        v.record(.quorumPresent, q.present, "\(q.serviceable) of \(q.members) servers answer (\(q.needed) needed)", .noQuorum)
        if let leader = s.primaries.first(where: { s.nodes[$0]?.info.health != .unhealthy }) {
            v.record(.singleWriter, true, "\(leader) steps down as meta leader; the servers elect the next", .alreadyPrimary)
        } else {
            v.record(.singleWriter, false, "no meta leader to step down: the servers are electing one", .noQuorum)
        }
        return v.verdict
    }
}
