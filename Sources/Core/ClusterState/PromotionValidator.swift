import ClusterProtocol

/// What the promotion validator needs to know of one node.
public struct PromotionNode: Sendable, Hashable {
    public var id: String
    public var role: NodeRole
    public var health: NodeHealth
    public var consecutiveFailures: Int64
    /// Still a member of the cluster (a planned shutdown is not).
    public var isMember: Bool
    /// Running and reachable (not crashed, not left).
    public var isPresent: Bool
    public var lagMillis: Int64?
    public var followerConnected: Bool

    public init(
        id: String, role: NodeRole, health: NodeHealth, consecutiveFailures: Int64 = 0, isMember: Bool = true,
        isPresent: Bool = true, lagMillis: Int64?, followerConnected: Bool = true
    ) {
        self.id = id
        self.role = role
        self.health = health
        self.consecutiveFailures = consecutiveFailures
        self.isMember = isMember
        self.isPresent = isPresent
        self.lagMillis = lagMillis
        self.followerConnected = followerConnected
    }
}

/// The validator's answer: every check in order, and whether it may proceed.
public struct PromotionVerdict: Sendable, Hashable {
    public var checks: [ValidationCheck]
    /// The reason a server rejects the command with: the first failing check's.
    public var rejection: RejectionReason?

    public var allowed: Bool { rejection == nil }

    public init(checks: [ValidationCheck], rejection: RejectionReason?) {
        self.checks = checks
        self.rejection = rejection
    }

    /// The failing checks as denial reasons.
    public var denials: [DenialReason] {
        checks.filter { !$0.ok }.map { DenialReason(invariant: $0.invariant, detail: $0.detail) }
    }
}

/// The promotion validator of domain.md section 2: deterministic, the six
/// invariants in a fixed order. The simulator decides with it and the
/// dashboard previews with it, so both always agree on the same facts.
public enum PromotionValidator {
    public static let defaultLagLimitMillis: Int64 = 5_000

    public static func evaluate(
        candidate: String, nodes: [PromotionNode], lagLimitMillis: Int64 = defaultLagLimitMillis,
        inhibitedUntil: Timestamp?, now: Timestamp, promotionInFlight: Bool = false
    ) -> PromotionVerdict {
        var checks: [ValidationCheck] = []
        var rejection: RejectionReason?
        func record(_ inv: Invariant, _ ok: Bool, _ detail: String, _ reason: RejectionReason?) {
            checks.append(ValidationCheck(invariant: inv, ok: ok, detail: detail))
            if !ok, rejection == nil { rejection = reason }
        }
        let node = nodes.first { $0.id == candidate && $0.isPresent }
        let primaries = nodes.filter { $0.isPresent && $0.role == .primary }.map(\.id)

        // 1. candidate_is_replica
        if let node {
            switch node.role {
            case .replica: record(.candidateIsReplica, true, "\(candidate) is a replica", nil)
            case .primary: record(.candidateIsReplica, false, "\(candidate) is already primary", .alreadyPrimary)
            default: record(.candidateIsReplica, false, "\(candidate) is \(node.role.wire), not a replica", .notAReplica)
            }
        } else {
            record(.candidateIsReplica, false, "\(candidate) is not a running node of the cluster", .unknownNode)
        }

        // 2. candidate_healthy
        if let node {
            let failures = node.consecutiveFailures > 0 ? " (\(node.consecutiveFailures) failed checks)" : ""
            record(
                .candidateHealthy, node.health.isServiceable, "health \(node.health.wire)\(failures)",
                .nodeUnhealthy)
        } else {
            record(.candidateHealthy, false, "health unknown", .nodeUnhealthy)
        }

        // 3. candidate_caught_up
        let limit = formatDuration(lagLimitMillis, .words)
        if let node, !node.followerConnected {
            record(.candidateCaughtUp, false, "disconnected from the primary", .lagTooHigh)
        } else if let lag = node?.lagMillis {
            let ok = lag <= lagLimitMillis
            record(.candidateCaughtUp, ok, "lag \(formatDuration(lag, .words)) \(ok ? "<=" : ">") \(limit)", .lagTooHigh)
        } else {
            record(.candidateCaughtUp, false, "no lag measured yet (limit \(limit))", .lagTooHigh)
        }

        // 4. quorum_present
        let members = nodes.filter(\.isMember)
        let serviceable = members.filter { $0.isPresent && $0.health.isServiceable }.count
        let needed = members.count / 2 + 1
        record(
            .quorumPresent, !members.isEmpty && serviceable >= needed,
            "\(serviceable) of \(members.count) healthy, \(needed) needed", .noQuorum)

        // 5. not_inhibited
        if promotionInFlight {
            record(.notInhibited, false, "another promotion is in progress", .failoverInhibited)
        } else if let until = inhibitedUntil, now < until {
            let left = max(1000, until.millis(since: now))
            record(.notInhibited, false, "failover inhibited for \(formatDuration(left - left % 1000, .words)) more", .failoverInhibited)
        } else {
            record(.notInhibited, true, "no failover in the inhibit window", nil)
        }

        // 6. single_writer: the old primary is always demoted first.
        switch primaries.count {
        case 0: record(.singleWriter, true, "no current primary; \(candidate) becomes the only one", nil)
        case 1: record(.singleWriter, true, "\(primaries[0]) is demoted before \(candidate) is promoted", nil)
        default:
            record(
                .singleWriter, true,
                "\(primaries.joined(separator: " and ")) are all demoted before \(candidate) is promoted", nil)
        }
        return PromotionVerdict(checks: checks, rejection: rejection)
    }
}

extension ClusterState {
    /// The validator run on what the dashboard knows: the "why not" preview.
    public func promotionPreview(
        candidate: String, now: Timestamp, lagLimitMillis: Int64 = PromotionValidator.defaultLagLimitMillis
    ) -> PromotionVerdict {
        let view = nodes.values.map { n in
            PromotionNode(
                id: n.id, role: n.info.role, health: n.info.health, consecutiveFailures: n.consecutiveFailures,
                isMember: n.isMember, isPresent: n.isPresent, lagMillis: followers[n.id]?.lagMillis ?? n.info.lagMillis,
                followerConnected: followers[n.id]?.isConnected ?? true)
        }
        let inFlight = promotions.values.contains { $0.phase == .transferring }
        return PromotionValidator.evaluate(
            candidate: candidate, nodes: view, lagLimitMillis: lagLimitMillis, inhibitedUntil: inhibitedUntil, now: now,
            promotionInFlight: inFlight)
    }
}
