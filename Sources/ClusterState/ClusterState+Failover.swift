import ClusterProtocol

extension ClusterState {
    /// Promotions, demotions, the inhibit window, suppressed repeats and command results.
    mutating func reduceFailover(_ e: Envelope) -> (ApplyOutcome.Disposition, ResyncReason?) {
        let t = e.timestamp
        switch e.event {
        case .promotionRequested(let d):
            var p = promotions[d.requestID] ?? PromotionRecord(requestID: d.requestID, candidate: d.candidate)
            p.candidate = d.candidate  // the command's result may have come first
            p.requestedBy = d.requestedBy
            p.requestedAt = t
            p.oldPrimary = p.oldPrimary ?? primaries.first
            promotions[d.requestID] = p
            appendLog(
                e, .notice,
                "promotion of \(d.candidate) requested\(d.requestedBy.map { " by \($0)" } ?? "") (\(d.requestID))")

        case .promotionValidated(let d):
            var p = promotions[d.requestID] ?? PromotionRecord(requestID: d.requestID, candidate: d.candidate)
            p.candidate = d.candidate
            p.checks = d.checks
            p.phase = d.checks.allSatisfy(\.ok) ? .transferring : .validating
            promotions[d.requestID] = p
            let passed = d.checks.filter(\.ok).count
            appendLog(e, .notice, "promotion of \(d.candidate) validated: \(passed)/\(d.checks.count) checks passed")

        case .promotionDenied(let d):
            var p = promotions[d.requestID] ?? PromotionRecord(requestID: d.requestID, candidate: d.candidate)
            p.candidate = d.candidate
            p.denials = d.reasons
            p.phase = .denied
            p.finishedAt = t
            promotions[d.requestID] = p
            appendLog(e, .warning, p.explanation)

        case .authorityTransferred(let d):
            raiseTerm(d.term)
            leader = d.newPrimary
            if let id = d.requestID ?? e.correlationID, var p = promotions[id] {
                p.oldPrimary = d.oldPrimary ?? p.oldPrimary
                p.newPrimary = d.newPrimary
                p.term = d.term
                p.phase = .completed
                p.finishedAt = t
                promotions[id] = p
                appendLog(e, .warning, p.explanation)
            } else {
                appendLog(e, .warning, "authority \(d.oldPrimary ?? "none") -> \(d.newPrimary) (term \(d.term))")
            }

        case .demoted(let d):
            raiseTerm(d.term)
            ensureNode(d.node, at: t)
            if nodes[d.node]?.info.role == .primary { nodes[d.node]?.info.role = .replica }
            if leader == d.node { leader = nil }
            let severity: LogSeverity = d.cause == .gracefulHandoff ? .notice : .critical
            appendLog(e, severity, "\(d.node) demoted: \(d.cause.phrase) (term \(d.term))")

        case .inhibited(let d):
            inhibitedUntil = d.until
            inhibitReason = d.reason
            appendLog(
                e, .notice, "failover inhibited until \(d.until.clockTime)\(d.reason.map { ": \($0.replacingUnderscores)" } ?? "")")

        case .stateChangeSuppressed(let d):
            appendLog(e, .info, "\(d.node) already \(d.state.replacingUnderscores): repeat suppressed, nothing changed")

        case .commandResult(let d):
            if let id = d.requestID {
                commandResults[id] = d
                if d.status == .rejected || d.status == .failed, var p = promotions[id] ?? promotionFromCommand(d) {
                    if p.phase == .requested || p.phase == .validating {
                        p.phase = .rejected
                        p.rejection = d.reason
                        p.finishedAt = t
                    }
                    promotions[id] = p
                }
            }
            let severity: LogSeverity = (d.status == .rejected || d.status == .failed) ? .warning : .info
            let reason = d.reason.map { ": \($0.replacingUnderscores)" } ?? ""
            appendLog(e, severity, "command \(d.op ?? "?") \(d.requestID ?? "-") \(d.status.wire)\(reason)")

        default:
            break
        }
        return (.applied, nil)
    }
}
