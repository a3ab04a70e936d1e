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
            appendLog(e, .notice, .promotionRequested(candidate: d.candidate, by: d.requestedBy, requestID: d.requestID))

        case .promotionValidated(let d):
            var p = promotions[d.requestID] ?? PromotionRecord(requestID: d.requestID, candidate: d.candidate)
            p.candidate = d.candidate
            p.checks = d.checks
            p.phase = d.checks.allSatisfy(\.ok) ? .transferring : .validating
            promotions[d.requestID] = p
            let passed = d.checks.filter(\.ok).count
            appendLog(e, .notice, .promotionValidated(candidate: d.candidate, passed: passed, checks: d.checks.count))

        case .promotionDenied(let d):
            var p = promotions[d.requestID] ?? PromotionRecord(requestID: d.requestID, candidate: d.candidate)
            p.candidate = d.candidate
            p.denials = d.reasons
            p.phase = .denied
            p.finishedAt = t
            promotions[d.requestID] = p
            appendLog(e, .warning, .promotionEnded(p))

        case .authorityTransferred(let d):
            if d.term >= term { leader = d.newPrimary }
            raiseTerm(d.term)
            if let id = d.requestID ?? e.correlationID, var p = promotions[id] {
                p.oldPrimary = d.oldPrimary ?? p.oldPrimary
                p.newPrimary = d.newPrimary
                p.term = d.term
                p.phase = .completed
                p.finishedAt = t
                promotions[id] = p
                appendLog(e, .warning, .promotionEnded(p))
            } else {
                appendLog(e, .warning, .authority(oldPrimary: d.oldPrimary, newPrimary: d.newPrimary, term: d.term))
            }

        case .demoted(let d):
            let current = d.term >= term
            raiseTerm(d.term)
            ensureNode(d.node, at: t)
            if nodes[d.node]?.info.role == .primary { nodes[d.node]?.info.role = .replica }
            if leader == d.node, current { leader = nil }
            let severity: LogSeverity = d.cause == .gracefulHandoff ? .notice : .critical
            appendLog(e, severity, .demoted(node: d.node, cause: d.cause, term: d.term))

        case .inhibited(let d):
            inhibitedUntil = d.until
            inhibitReason = d.reason
            appendLog(e, .notice, .inhibited(until: d.until, reason: d.reason))

        case .stateChangeSuppressed(let d):
            appendLog(e, .info, .suppressed(node: d.node, state: d.state))

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
            appendLog(e, severity, .command(op: d.op, requestID: d.requestID, status: d.status, reason: d.reason))

        default:
            break
        }
        return (.applied, nil)
    }
}
