import ClusterProtocol

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

/// The replica Sentinel will most likely promote: not down, priority not 0;
/// the lowest priority, then the largest offset (the fewest bytes behind),
/// then the first by name (Sentinel breaks the last tie by run id). One rule
/// for the connector's answer and the dialog's preview.
public enum SentinelChoice {
    public struct Replica: Sendable {
        public var id: String
        public var healthy: Bool
        /// `replica-priority`; nil when not known (Sentinel's default is 100).
        public var priority: Int?
        public var lagBytes: Int64?

        public init(id: String, healthy: Bool, priority: Int?, lagBytes: Int64?) {
            self.id = id
            self.healthy = healthy
            self.priority = priority
            self.lagBytes = lagBytes
        }
    }

    public static func likely(_ replicas: [Replica]) -> String? {
        replicas.filter { $0.healthy && $0.priority != 0 }.min { a, b in
            let (pa, pb) = (a.priority ?? 100, b.priority ?? 100)
            if pa != pb { return pa < pb }
            let (la, lb) = (a.lagBytes ?? .max, b.lagBytes ?? .max)
            if la != lb { return la < lb }
            return naturalLess(a.id, b.id)
        }?.id
    }
}
