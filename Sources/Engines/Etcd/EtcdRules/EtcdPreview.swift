import ClusterProtocol
import ClusterState
import EngineKit

/// What etcd itself checks, previewed on the facts the dashboard holds.
/// A follower: the leadership moved there (`transfer-leadership`, sent to
/// the leader), when it is a started voting member caught up within the
/// limit, a leader is there to hand over, quorum is present and no alarm
/// is raised. A learner: promoted to a voting member, when etcd would take
/// it (its log at 90 % of the leader's or more, as etcd requires) and
/// quorum is present. etcd's own answer stays the word that counts.
public enum EtcdPreview {
    /// etcd promotes a learner whose log is at this share of the leader's.
    public static let learnerReadyShare = 0.9
    /// Raft entries a follower may be behind without a limit configured.
    public static let defaultLagLimitEntries: Int64 = 1_000

    public static func evaluate(candidate: String, state s: ClusterState, limits: PreviewLimits) -> PromotionVerdict {
        var v = VerdictBuilder()
        guard let n = s.nodes[candidate], n.isPresent else {
            v.record(.candidateIsReplica, false, "\(candidate) is not a member", .unknownNode)
            return v.verdict
        }
        let word = n.info.engine?.role ?? "member"
        let learner = word == "learner"
        switch n.info.role {
        case .primary: v.record(.candidateIsReplica, false, "\(candidate) is already the leader", .alreadyPrimary)
        case .replica:
            v.record(
                .candidateIsReplica, true,
                learner ? "\(candidate) is a learner: promoted to a voting member" : "\(candidate) is a follower: the leadership moves there",
                .notAReplica)
        default: v.record(.candidateIsReplica, false, "\(candidate) is of no known role", .notAReplica)
        }
        let state = n.info.engine?.state ?? "unknown"
        let started = state.hasPrefix("started")
        v.record(.candidateHealthy, started && n.info.health == .healthy, "\(candidate) is \(state)", .nodeUnhealthy)
        let f = s.followers[candidate]
        let leader = s.primaries.first { s.nodes[$0]?.info.health != .unhealthy }
        if learner {
            let leaderIndex = leader.flatMap { s.nodes[$0]?.info.engine?.position }.flatMap(index(in:))
            let own = n.info.engine?.position.flatMap(index(in:))
            if let leaderIndex, let own {
                let ready = Double(own) >= Double(leaderIndex) * learnerReadyShare
                v.record(
                    .candidateCaughtUp, ready,
                    "its log at index \(own) of the leader's \(leaderIndex) (etcd wants \(Int(learnerReadyShare * 100)) %)", .lagTooHigh)
            } else {
                v.record(.candidateCaughtUp, false, "its log or the leader's is not known: etcd decides", .lagTooHigh)
            }
        } else {
            let limit = limits.lagLimitTransactions ?? defaultLagLimitEntries
            switch f?.lagState {
            case .measured?:
                let lag = f?.lagBytes ?? 0
                v.record(
                    .candidateCaughtUp, lag <= limit,
                    "\(formatLagCount(lag, unit: EtcdRules.lagUnit)) behind (limit \(formatLagCount(limit, unit: EtcdRules.lagUnit)))",
                    .lagTooHigh)
            case .ahead?: v.record(.candidateCaughtUp, true, "reports ahead of the leader", .lagTooHigh)
            case let other: v.record(.candidateCaughtUp, false, "lag is \(other?.wire ?? "unknown")", .lagTooHigh)
            }
        }
        let q = s.quorum
        v.record(
            .quorumPresent, q.present, "\(q.serviceable) of \(q.members) voting members answer (\(q.needed) needed)", .noQuorum)
        let alarm = s.engine?.state.flatMap { $0.hasPrefix("under alarm ") ? String($0.dropFirst(12)) : nil }
        v.record(.notInhibited, alarm == nil, alarm.map { "alarm \($0) is raised: clear it first" } ?? "no alarm raised", .failoverInhibited)
        if !learner {
            if let leader {
                v.record(.singleWriter, true, "\(leader) hands the leadership to \(candidate)", .alreadyPrimary)
            } else {
                v.record(.singleWriter, false, "no leader to hand over: etcd elects one itself", .noQuorum)
            }
        }
        return v.verdict
    }

    /// The raft index in a node's position ("index 123, …").
    static func index(in position: String) -> UInt64? {
        guard position.hasPrefix("index ") else { return nil }
        return UInt64(position.dropFirst(6).prefix { $0.isNumber })
    }
}
