import ClusterProtocol
import ClusterState

// The failover log's words. The state core records what happened as
// `LogFacts`; every sentence a person reads (the log pane, the incident
// timeline, bundles, `tail`, `summary`) is made here.

extension LogEntry {
    /// The line as a person reads it.
    public var text: String { facts.sentence }
}

extension LogFacts {
    /// The sentence for these facts.
    public var sentence: String {
        switch self {
        case .snapshot(let cluster, let nodes, let term, let primaries):
            return "snapshot of \(cluster): \(nodes) nodes, term \(term), primary \(primaries.isEmpty ? "none" : primaries.joined(separator: ", "))"
        case .joined(let node, let role, let region):
            return "\(node) joined as \(role.wire)\(region.map { " in \($0)" } ?? "")"
        case .left(let node, let reason):
            return "\(node) left: \(reason.wire.replacingUnderscores)"
        case .roleChanged(let node, let from, let to, let term, let reason):
            return "\(node) \(from.wire) -> \(to.wire) (term \(term))\(reason.map { ": \($0.replacingUnderscores)" } ?? "")"
        case .splitBrain(let primaries):
            return "SPLIT BRAIN: \(primaries.joined(separator: " and ")) both claim primary"
        case .health(let node, let from, let to, let failedChecks, let detail):
            let checks = failedChecks > 0 ? " (\(failedChecks) failed checks)" : ""
            return "\(node) health \(from.wire) -> \(to.wire)\(checks)\(detail.map { ": \($0)" } ?? "")"
        case .managerState(let node, let from, let to, let reason, let window):
            var text = "\(node) \(from.wire.replacingUnderscores) -> \(to.wire.replacingUnderscores)"
            if let reason {
                text += " (\(reason.wire.replacingUnderscores)"
                if let window { text += ", window \(formatDuration(window, .words))" }
                text += ")"
            }
            return text
        case .electionStarted(let term, let candidate):
            return "election for term \(term): \(candidate) is candidate"
        case .leaderElected(let leader, let term, let votes):
            return "\(leader) elected leader of term \(term)\(votes > 0 ? " (\(votes) votes)" : "")"
        case .followerStatus(let follower, let status, let connected):
            return "\(follower) \(status.wire) \(connected ? "to" : "from") the primary"
        case .assignmentPublished(let version, let strategy, let partitions, let moved, let reason, let duplicates):
            var text = "assignment v\(version) published: \(strategy.wire), \(partitions) partitions, \(moved) moved"
            if let reason { text += " (\(reason.wire.replacingUnderscores))" }
            if duplicates > 0 { text += "; \(duplicates) DUPLICATE partitions" }
            return text
        case .assignmentMoved(let version, let moves, let baseVersion):
            return "assignment v\(version): \(moves) partitions moved (delta on v\(baseVersion))"
        case .migrationStarted(let id, let tenant, let source, let target, let dryRun):
            return "migration \(id) started: \(tenant) \(source) -> \(target)\(dryRun ? " (dry run)" : "")"
        case .migrationProgressUnknown(let id):
            return "progress for unknown migration \(id)"
        case .migrationPhase(let id, let tenant, let phase):
            return "migration \(id) \(tenant): \(phase.wire.replacingUnderscores)"
        case .migrationCompleted(let id, let tenant, let region, let duration, let dryRun):
            let took = duration.map { " in \(formatDuration($0, .words))" } ?? ""
            guard let tenant, let region else { return "migration \(id) completed\(took)" }
            return "migration \(id) completed\(took): \(tenant) now in \(region)\(dryRun ? " (dry run, nothing changed)" : "")"
        case .migrationFailed(let id, let phase, let reason):
            return "migration \(id) failed\(phase.map { " in \($0.wire.replacingUnderscores)" } ?? ""): \(reason.replacingUnderscores)"
        case .migrationCancelled(let id, let by):
            return "migration \(id) cancelled\(by.map { " by \($0)" } ?? "")"
        case .promotionRequested(let candidate, let by, let requestID):
            return "promotion of \(candidate) requested\(by.map { " by \($0)" } ?? "") (\(requestID))"
        case .promotionValidated(let candidate, let passed, let checks):
            return "promotion of \(candidate) validated: \(passed)/\(checks) checks passed"
        case .promotionEnded(let record):
            return record.explanation
        case .authority(let oldPrimary, let newPrimary, let term):
            return "authority \(oldPrimary ?? "none") -> \(newPrimary) (term \(term))"
        case .demoted(let node, let cause, let term):
            return "\(node) demoted: \(cause.phrase) (term \(term))"
        case .inhibited(let until, let reason):
            return "failover inhibited until \(until.clockTime)\(reason.map { ": \($0.replacingUnderscores)" } ?? "")"
        case .suppressed(let node, let state):
            return "\(node) already \(state.replacingUnderscores): repeat suppressed, nothing changed"
        case .command(let op, let requestID, let status, let reason):
            return "command \(op ?? "?") \(requestID ?? "-") \(status.wire)\(reason.map { ": \($0.replacingUnderscores)" } ?? "")"
        case .paused(let paused):
            return paused ? "cluster paused: automatic failover is off" : "cluster resumed: automatic failover is on"
        case .switchoverScheduled(let s):
            return "switchover scheduled\(s.at.map { " at \($0.clockTime)" } ?? ""): \(s.from ?? "leader") -> \(s.to ?? "any replica")"
        case .switchoverCleared:
            return "scheduled switchover cleared"
        case .feed(let feed):
            return "changes now come by \(feed)"
        case .engineState(let node, let from, let to):
            return "\(node) \(from) -> \(to)"
        case .pendingRestart(let node, let pending):
            return "\(node) \(pending ? "needs a restart (pending restart)" : "restarted: no restart pending")"
        case .tags(let node, let tags):
            let text = tags.map { "\($0.key)=\(JSONWriter.string($0.value))" }.joined(separator: " ")
            return "\(node) tags: \(text.isEmpty ? "none" : text)"
        case .timelineEnded(let term, let leader, let reason):
            // A term at Int64's end (a hostile server) has no next to name.
            let next = term < .max ? "timeline \(term + 1)" : "the next timeline"
            return "timeline \(term) ended: \(leader ?? "?") leads \(next)\(reason.map { ": \($0)" } ?? "")"
        case .engineNotice(let from, let kind, let text):
            return "\(from.map { "\($0): " } ?? "")\(kind)\(text.isEmpty ? "" : " \(text)")"
        case .historyLost(let lost):
            return lost.sentence
        case .unknownType(let type):
            return "unknown event type \(type)"
        }
    }
}

extension LostHistory {
    /// `history lost 12:03:04-12:03:41: 1582 events of node-1, node-2 never received`
    public var window: String { "\(from.clockTime)-\(to.clockTime)" }

    public var sentence: String {
        let who = sources.prefix(4).joined(separator: ", ") + (sources.count > 4 ? " and \(sources.count - 4) more" : "")
        return "history lost \(window): \(events) event\(events == 1 ? "" : "s") of \(who) never received"
    }
}

extension PromotionRecord {
    /// The one-line account a person reads after the fact.
    public var explanation: String {
        let passed = checks.filter(\.ok).count
        switch phase {
        case .requested:
            return "promotion of \(candidate) requested"
        case .validating:
            return "promotion of \(candidate) being validated"
        case .transferring:
            return "promotion of \(candidate): \(passed)/\(checks.count) checks passed, transferring authority"
        case .completed:
            let from = oldPrimary ?? "none"
            let termText = term.map { " in term \($0)" } ?? ""
            return "\(candidate) promoted: primary \(from) -> \(newPrimary ?? candidate)\(termText), \(passed)/\(checks.count) checks passed"
        case .denied:
            let why = denials.map { d in d.detail.map { "\(d.invariant.wire) (\($0))" } ?? d.invariant.wire }
            return "promotion of \(candidate) denied: \(why.joined(separator: ", "))"
        case .rejected:
            return "promotion of \(candidate) rejected: \(rejection ?? "unknown reason")"
        }
    }
}
