import ClusterProtocol
import DequeModule

extension ClusterState {
    /// Applies one envelope. Idempotent: an id already applied changes nothing.
    /// Gaps, restarts and delta mismatches are applied as far as they can be
    /// and reported in the outcome so the caller can ask for a snapshot.
    @discardableResult
    public mutating func apply(_ e: Envelope) -> ApplyOutcome {
        apply(e, checkingDuplicates: true)
    }

    /// `checkingDuplicates: false` skips the de-duplication window: only for
    /// envelopes known to be new, such as the dashboard's kept history (which
    /// holds what the live state accepted) replayed into its rewind base.
    @discardableResult
    public mutating func apply(_ e: Envelope, checkingDuplicates: Bool) -> ApplyOutcome {
        if checkingDuplicates, !seenIDs.insert(e.id) {
            counters.duplicates += 1
            return .duplicate
        }
        var outcome = ApplyOutcome.applied
        if !e.isSupportedVersion {
            counters.unsupportedVersions += 1
            outcome.versionWarning = e.version
        }
        if let t = lastEventAt {
            if e.timestamp > t { lastEventAt = e.timestamp }
        } else {
            lastEventAt = e.timestamp
        }

        // Sequence tracking. command.result (seq 0) stands outside it; a
        // snapshot sets every covered source's seq instead of advancing one.
        if case .snapshot = e.event {
        } else if e.seq > 0 {
            outcome.resync = track(source: e.source, seq: e.seq)
        }
        if let node = nodes[e.source] {
            if node.lastHeard.map({ e.timestamp > $0 }) ?? true {
                nodes[e.source]?.lastHeard = e.timestamp
            }
        }

        let nodeCount = nodes.count
        let followerCount = followers.count
        // A health change moves quorum by at most one: counted, not recounted.
        var servedBefore = false
        if case .healthChanged(let d) = e.event { servedBefore = nodes[d.node].map(\.servesQuorum) ?? false }
        let disposition = reduce(e)
        switch e.event {
        case .snapshot, .nodeJoined, .nodeLeft, .roleChanged, .electionStarted, .demoted, .authorityTransferred:
            refreshOrders()
            refreshCounts()
        case .assignmentPublished, .assignmentMoved:
            if nodes.count != nodeCount || followers.count != followerCount {
                refreshOrders()
                refreshCounts()
            } else {
                orphanCache = assignment?.orphanCount(presentNodes: presentIDs) ?? 0
            }
        default:
            // Everything else changes no membership, role or assignment (a
            // health change is counted below); only a node or follower that
            // appeared or was dropped by a cap needs the full recount.
            if nodes.count != nodeCount || followers.count != followerCount {
                refreshOrders()
                refreshCounts()
            } else if case .healthChanged(let d) = e.event, let n = nodes[d.node], n.isMember, n.servesQuorum != servedBefore {
                quorumCache.serviceable += n.servesQuorum ? 1 : -1
            }
        }
        outcome.disposition = disposition.0
        if outcome.resync == nil, let r = disposition.1 { outcome.resync = r }
        switch outcome.disposition {
        case .applied: counters.applied += 1
        case .stale: counters.stale += 1
        case .duplicate: counters.duplicates += 1
        }
        return outcome
    }

    mutating func track(source: String, seq: Int64) -> ResyncReason? {
        // Past the cap, a source that is not a known node is forgotten first.
        let nodes = self.nodes
        switch seqTracker.observe(source, seq, evictable: { nodes.index(forKey: $0) == nil }) {
        case .first, .next:
            return nil
        case .gap(let expected):
            counters.gaps += 1
            return .gap(source: source, expected: expected, received: seq)
        case .restart(let last):
            counters.restarts += 1
            return .restart(source: source, last: last, received: seq)
        }
    }

    // MARK: The reducer proper

    mutating func reduce(_ e: Envelope) -> (ApplyOutcome.Disposition, ResyncReason?) {
        let t = e.timestamp
        switch e.event {
        case .snapshot(let s):
            applySnapshot(s, envelope: e)

        case .nodeJoined(let d):
            var record = nodes[d.node.id] ?? NodeRecord(info: d.node)
            record.info = d.node
            record.departure = nil
            upsert(record)
            raiseTerm(d.node.term)
            appendLog(e, .notice, "\(d.node.id) joined as \(d.node.role.wire)\(d.node.region.map { " in \($0)" } ?? "")")

        case .nodeLeft(let d):
            if var record = nodes[d.node] {
                record.departure = NodeRecord.Departure(reason: d.reason, at: t)
                if record.info.role == .primary { record.info.role = .unknown }
                nodes[d.node] = record
                pruneDeparted()
            }
            let severity: LogSeverity = d.reason == .shutdown ? .notice : .critical
            appendLog(e, severity, "\(d.node) left: \(d.reason.wire.replacingUnderscores)")

        case .roleChanged(let d):
            raiseTerm(d.term)
            ensureNode(d.node, at: t)
            nodes[d.node]?.info.role = d.to
            nodes[d.node]?.info.term = d.term
            if d.to == .primary {
                leader = d.node
                // A primary has no lag: its follower history ends here.
                nodes[d.node]?.info.lagMillis = nil
                followers[d.node] = nil
            }
            if d.from == .primary, leader == d.node, d.to != .primary { leader = nil }
            let why = d.reason.map { ": \($0.replacingUnderscores)" } ?? ""
            let severity: LogSeverity = (d.to == .primary || d.from == .primary) ? .warning : .notice
            appendLog(e, severity, "\(d.node) \(d.from.wire) -> \(d.to.wire) (term \(d.term))\(why)")
            refreshOrders()  // the primaries just changed; the check below reads them
            if isSplitBrain {
                appendLog(e, .critical, "SPLIT BRAIN: \(primaries.joined(separator: " and ")) both claim primary", kind: .splitBrain(primaries: primaries))
            }

        case .healthChanged(let d):
            ensureNode(d.node, at: t)
            nodes[d.node]?.info.health = d.to
            nodes[d.node]?.consecutiveFailures = d.consecutiveFailures
            nodes[d.node]?.healthDetail = d.detail
            let severity: LogSeverity =
                d.to.severity >= 3 ? .critical : d.to.severity > d.from.severity ? .warning : .info
            let checks = d.consecutiveFailures > 0 ? " (\(d.consecutiveFailures) failed checks)" : ""
            let detail = d.detail.map { ": \($0)" } ?? ""
            appendLog(e, severity, "\(d.node) health \(d.from.wire) -> \(d.to.wire)\(checks)\(detail)")

        case .stateChanged(let d):
            ensureNode(d.node, at: t)
            nodes[d.node]?.info.managerState = d.to
            if let c = d.calculatorState {
                nodes[d.node]?.info.calculatorState = c
            }
            if d.calculatorState != nil || d.reason != nil {
                if d.calculatorState == .idle && d.reason == nil {
                    rebalance?.calculatorState = .idle
                } else {
                    rebalance = RebalanceInfo(
                        node: d.node, calculatorState: d.calculatorState, reason: d.reason,
                        windowMillis: d.windowMillis ?? d.reason?.defaultWindowMillis, startedAt: t)
                }
            }
            var text = "\(d.node) \(d.from.wire.replacingUnderscores) -> \(d.to.wire.replacingUnderscores)"
            if let r = d.reason {
                text += " (\(r.wire.replacingUnderscores)"
                if let w = d.windowMillis ?? r.defaultWindowMillis { text += ", window \(formatDuration(w, .words))" }
                text += ")"
            }
            appendLog(e, d.to == .emergency ? .warning : .info, text)

        case .electionStarted(let d):
            raiseTerm(d.term)
            ensureNode(d.candidate, at: t)
            if nodes[d.candidate]?.info.role != .primary {
                nodes[d.candidate]?.info.role = .candidate
            }
            appendLog(e, .warning, "election for term \(d.term): \(d.candidate) is candidate")

        case .leaderElected(let d):
            raiseTerm(d.term)
            leader = d.leader
            // A poll of an engine sees the new leader, not the votes: none is said then.
            appendLog(e, .notice, "\(d.leader) elected leader of term \(d.term)\(d.votes > 0 ? " (\(d.votes) votes)" : "")")

        case .replicationLag(let d):
            ensureNode(d.follower, at: t)
            // In place: a copy of the record would copy its whole history.
            followers[d.follower, default: FollowerRecord(follower: d.follower)].record(d, at: t, limits: limits)
            nodes[d.follower]?.info.lagMillis = d.lagMillis

        case .followerStatus(let d):
            ensureNode(d.follower, at: t)
            var f = followers[d.follower] ?? FollowerRecord(follower: d.follower)
            let changed = f.status != d.status
            f.status = d.status
            if changed || f.statusSince == nil { f.statusSince = d.since ?? t }
            followers[d.follower] = f
            let severity: LogSeverity = f.isConnected ? .notice : .warning
            appendLog(e, severity, "\(d.follower) \(d.status.wire) \(f.isConnected ? "to" : "from") the primary")

        case .assignmentPublished(let d):
            if let held = assignment, d.version <= held.version {
                return (.stale, nil)
            }
            let next = AssignmentState(
                version: d.version, strategy: d.strategy, reason: d.reason, publishedAt: t,
                partitions: d.partitions, previous: assignment)
            assignment = next
            var text = "assignment v\(d.version) published: \(d.strategy.wire), \(d.partitions.count) partitions"
            text += ", \(next.movedInLastRebalance) moved"
            if let r = d.reason { text += " (\(r.wire.replacingUnderscores))" }
            if !next.duplicateIDs.isEmpty { text += "; \(next.duplicateIDs.count) DUPLICATE partitions" }
            appendLog(e, next.duplicateIDs.isEmpty ? .notice : .critical, text)

        case .assignmentMoved(let d):
            guard var held = assignment else {
                counters.baseVersionMismatches += 1
                return (.stale, .baseVersionMismatch(held: nil, base: d.baseVersion))
            }
            if d.version <= held.version { return (.stale, nil) }
            guard held.version == d.baseVersion else {
                counters.baseVersionMismatches += 1
                return (.stale, .baseVersionMismatch(held: held.version, base: d.baseVersion))
            }
            assignment = nil  // keep the table uniquely referenced while it changes
            held.apply(moves: d.moves, version: d.version)
            held.publishedAt = t
            assignment = held
            appendLog(e, .info, "assignment v\(d.version): \(d.moves.count) partitions moved (delta on v\(d.baseVersion))")

        case .migrationStarted(let d):
            var m = migrations[d.migration.migrationID] ?? MigrationRecord(info: d.migration)
            m.info = d.migration
            m.lastUpdate = t
            if m.info.startedAt == nil { m.info.startedAt = t }
            if let p = d.migration.phase { m.enter(p, at: t) }
            putMigration(m)
            let dry = d.migration.dryRun ? " (dry run)" : ""
            appendLog(
                e, .notice,
                "migration \(d.migration.migrationID) started: \(d.migration.tenant) \(d.migration.source) -> \(d.migration.target)\(dry)"
            )

        case .migrationProgress(let d):
            guard var m = migrations[d.migrationID] else {
                appendLog(e, .info, "progress for unknown migration \(d.migrationID)")
                return (.applied, nil)
            }
            let previousPhase = m.info.phase
            if !m.info.state.isFinished { m.info.state = .inProgress }
            m.info.phase = d.phase
            m.info.drainedEntries = d.drainedEntries
            m.info.totalEntries = d.totalEntries
            m.lastUpdate = t
            if let p = d.phase { m.enter(p, at: t) }
            if d.phase == .drainingWAL {
                let mark = MigrationRecord.DrainMark(at: t, drained: d.drainedEntries)
                if m.firstDrain == nil { m.firstDrain = mark }
                m.lastDrain = mark
            }
            putMigration(m)
            if previousPhase != d.phase, let p = d.phase {
                appendLog(e, .info, "migration \(d.migrationID) \(m.info.tenant): \(p.wire.replacingUnderscores)")
            }

        case .migrationCompleted(let d):
            guard var m = migrations[d.migrationID] else {
                appendLog(e, .notice, "migration \(d.migrationID) completed")
                return (.applied, nil)
            }
            m.info.state = .completed
            m.info.phase = nil
            if m.info.totalEntries > 0 { m.info.drainedEntries = m.info.totalEntries }
            m.finishedAt = t
            m.durationMillis = d.durationMillis
            if m.writePauseStartedAt != nil, m.writePauseEndedAt == nil { m.writePauseEndedAt = t }
            m.lastUpdate = t
            putMigration(m)
            if !m.info.dryRun { tenants[m.info.tenant] = m.info.target }
            let took = d.durationMillis.map { " in \(formatDuration($0, .words))" } ?? ""
            let dry = m.info.dryRun ? " (dry run, nothing changed)" : ""
            appendLog(
                e, .notice,
                "migration \(d.migrationID) completed\(took): \(m.info.tenant) now in \(m.info.dryRun ? m.info.source : m.info.target)\(dry)"
            )

        case .migrationFailed(let d):
            if var m = migrations[d.migrationID] {
                m.info.state = .failed
                m.failureReason = d.reason
                m.finishedAt = t
                if m.writePauseStartedAt != nil, m.writePauseEndedAt == nil { m.writePauseEndedAt = t }
                m.lastUpdate = t
                putMigration(m)
            }
            let phase = d.phase.map { " in \($0.wire.replacingUnderscores)" } ?? ""
            appendLog(e, .warning, "migration \(d.migrationID) failed\(phase): \(d.reason.replacingUnderscores)")

        case .migrationCancelled(let d):
            if var m = migrations[d.migrationID] {
                m.info.state = .cancelled
                m.cancelledBy = d.by
                m.finishedAt = t
                if m.writePauseStartedAt != nil, m.writePauseEndedAt == nil { m.writePauseEndedAt = t }
                m.lastUpdate = t
                putMigration(m)
            }
            appendLog(e, .notice, "migration \(d.migrationID) cancelled\(d.by.map { " by \($0)" } ?? "")")

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

        case .heartbeat(let d):
            // A sign of life, not news: no log line. Roles come from role events.
            nodes[d.node]?.info.lastHeartbeat = t
            if let v = d.assignmentVersion { nodes[d.node]?.assignmentVersion = v }
            if d.node != e.source, let n = nodes[d.node], n.lastHeard.map({ t > $0 }) ?? true {
                nodes[d.node]?.lastHeard = t
            }

        case .unknown(let type, _):
            counters.unknownTypes += 1
            appendLog(e, .info, "unknown event type \(type.prefix(80))")
        }
        return (.applied, nil)
    }

    // MARK: Helpers

    mutating func applySnapshot(_ s: ClusterSnapshot, envelope e: Envelope) {
        counters.snapshots += 1
        hasSnapshot = true
        clusterName = s.cluster
        term = s.term
        leader = s.leader
        var fresh: [String: NodeRecord] = [:]
        for n in s.nodes.prefix(limits.nodes) {
            var r = NodeRecord(info: n, lastHeard: nodes[n.id]?.lastHeard)
            r.consecutiveFailures = nodes[n.id]?.consecutiveFailures ?? 0
            r.healthDetail = nodes[n.id]?.healthDetail
            fresh[n.id] = r
        }
        nodes = fresh
        // Lag history is ours to keep for followers that still exist.
        followers = followers.filter { fresh[$0.key] != nil }
        for n in s.nodes where n.role != .primary {
            if let lag = n.lagMillis { followers[n.id, default: FollowerRecord(follower: n.id)].lagMillis = lag }
        }
        if let a = s.assignment {
            assignment = AssignmentState(
                version: a.version, strategy: a.strategy, reason: assignment?.reason, publishedAt: e.timestamp,
                partitions: a.partitions, previous: nil)
        } else {
            assignment = nil
        }
        var kept = BoundedDictionary<String, MigrationRecord>(capacity: limits.migrations)
        for m in s.migrations {
            var r = migrations[m.migrationID] ?? MigrationRecord(info: m)
            r.info = m
            if let p = m.phase { r.enter(p, at: e.timestamp) }
            kept[m.migrationID] = r
        }
        migrations = kept
        tenants = Dictionary(s.tenants.map { ($0.tenant, $0.region) }, uniquingKeysWith: { _, last in last })
        // The snapshot's seqs hold the sources it covers; others keep theirs
        // (a per-node endpoint's snapshot covers that node only).
        seqTracker.cover(s.seqs, source: e.source, seq: e.seq)
        let primary = s.nodes.filter { $0.role == .primary }.map(\.id).sorted(by: naturalLess)
        appendLog(
            e, .info,
            "snapshot of \(s.cluster): \(s.nodes.count) nodes, term \(s.term), primary \(primary.isEmpty ? "none" : primary.joined(separator: ", "))"
        )
    }

    mutating func promotionFromCommand(_ d: CommandResult) -> PromotionRecord? {
        guard d.op == "promote", let id = d.requestID else { return nil }
        return PromotionRecord(requestID: id, candidate: "?")
    }

    mutating func raiseTerm(_ t: Int64) {
        if t > term { term = t }
    }

    /// Makes sure a node mentioned by an event exists (as `unknown` until described).
    mutating func ensureNode(_ id: String, at t: Timestamp) {
        guard nodes[id] == nil else { return }
        guard nodes.count < limits.nodes else { return }
        nodes[id] = NodeRecord(info: NodeInfo(id: id, role: .unknown, health: .healthy, term: term, managerState: .other("unknown")))
    }

    mutating func upsert(_ record: NodeRecord) {
        guard nodes[record.id] != nil || nodes.count < limits.nodes else { return }
        nodes[record.id] = record
    }

    mutating func pruneDeparted() {
        let departed = nodes.values.filter { !$0.isPresent }
        guard departed.count > limits.departedNodes else { return }
        let oldest = departed.sorted { ($0.departure?.at ?? Timestamp(millis: 0)) < ($1.departure?.at ?? Timestamp(millis: 0)) }
        for r in oldest.prefix(departed.count - limits.departedNodes) {
            nodes[r.id] = nil
            followers[r.id] = nil
        }
    }

    mutating func putMigration(_ m: MigrationRecord) {
        if migrations[m.id] == nil, migrations.count >= limits.migrations {
            // Drop the oldest finished migration rather than a running one.
            if let victim = migrations.keys.first(where: { migrations[$0]?.info.state.isFinished ?? false }) {
                migrations[victim] = nil
            }
        }
        migrations[m.id] = m
    }

    mutating func appendLog(_ e: Envelope, _ severity: LogSeverity, _ text: String, kind: LogKind? = nil) {
        log.append(
            LogEntry(
                at: e.timestamp, source: e.source, kind: kind ?? LogKind(e.event), severity: severity, text: text,
                correlationID: e.correlationID))
        logAppended += 1
        if log.count > limits.logCapacity { log.removeFirst() }
    }
}


extension String {
    /// `quorum_loss` -> `quorum loss`, for text meant to be read.
    var replacingUnderscores: String {
        String(map { $0 == "_" ? " " : $0 })
    }
}
