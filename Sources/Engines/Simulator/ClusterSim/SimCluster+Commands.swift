import ClusterProtocol
import ClusterState
import EventSources

/// The answer to one command: the `command.result` for the sender alone, and
/// the events everyone sees.
public struct CommandOutcome: Sendable {
    public var result: Envelope
    public var events: [Envelope]
}

extension SimCluster {
    /// Handles a command (`promote`, `migrate`, `cancel_migration`). The same
    /// request id twice does the work once and answers with the same result.
    public mutating func handle(_ op: ClientOp, scope: TokenScope, requestedBy: String = "operator") -> CommandOutcome {
        guard let requestID = op.requestID else {
            return CommandOutcome(result: resultEnvelope(requestID: nil, op: op.op, .rejected, .invalidRequest), events: [])
        }
        if let earlier = commandResults[requestID] {
            return CommandOutcome(result: resultEnvelope(earlier, correlation: requestID), events: [])
        }
        let result: CommandResult
        if scope == .read {
            result = CommandResult(requestID: requestID, op: op.op, status: .rejected, reason: RejectionReason.readOnlyToken.rawValue)
        } else {
            switch op {
            case .promote(_, _, let mode?):
                // The simulated cluster has one kind of failover.
                result = CommandResult(
                    requestID: requestID, op: op.op, status: .rejected,
                    reason: "\(RejectionReason.invalidRequest.rawValue): no failover mode \(mode.prefix(20)) here")
            case .promote(_, let node, nil):
                result = promote(requestID: requestID, candidate: node, requestedBy: requestedBy)
            case .migrate(_, let tenant, let target, let dryRun):
                result = migrate(requestID: requestID, tenant: tenant, target: target, dryRun: dryRun)
            case .cancelMigration(_, let migrationID):
                result = cancel(requestID: requestID, migrationID: migrationID, by: requestedBy)
            case .subscribe, .snapshot:
                result = CommandResult(requestID: requestID, op: op.op, status: .rejected, reason: RejectionReason.invalidRequest.rawValue)
            case .stepDown:
                // An extension of engines whose partitions have leaders; the
                // simulated cluster's have none, so it is an unknown op here.
                result = CommandResult(
                    requestID: requestID, op: op.op, status: .rejected,
                    reason: "\(RejectionReason.invalidRequest.rawValue): unknown op step_down (partitions here have no leaders)")
            }
        }
        commandResults[requestID] = result
        let events = drain()
        return CommandOutcome(result: resultEnvelope(result, correlation: requestID), events: events)
    }

    /// A `command.result` for a frame that could not be read as a command.
    public func invalidRequest(requestID: String?, op: String?) -> Envelope {
        resultEnvelope(requestID: requestID, op: op, .rejected, .invalidRequest)
    }

    func resultEnvelope(requestID: String?, op: String?, _ status: CommandStatus, _ reason: RejectionReason?) -> Envelope {
        resultEnvelope(CommandResult(requestID: requestID, op: op, status: status, reason: reason?.rawValue), correlation: requestID)
    }

    /// `command.result` stands outside the sequence: seq 0, its own id.
    func resultEnvelope(_ r: CommandResult, correlation: String?) -> Envelope {
        Envelope(
            id: "\(stamper.idPrefix)result-\(stamper.counter)-\(r.requestID ?? "none")-\(commandResults.count)", source: speaker, seq: 0,
            timestamp: now, correlationID: correlation, event: .commandResult(r))
    }

    // MARK: Promotion

    mutating func promote(requestID: String, candidate: String, requestedBy: String) -> CommandResult {
        let verdict = PromotionValidator.evaluate(
            candidate: candidate, nodes: validatorNodes, lagLimitMillis: config.promotionLagLimitMillis,
            inhibitedUntil: inhibitUntil, now: now, promotionInFlight: promotionInFlight != nil)
        let from = speaker
        emit(
            from, .promotionRequested(PromotionRequested(requestID: requestID, candidate: candidate, requestedBy: requestedBy)),
            correlation: requestID)
        guard verdict.allowed else {
            emit(
                from, .promotionDenied(PromotionDenied(requestID: requestID, candidate: candidate, reasons: verdict.denials)),
                correlation: requestID)
            return CommandResult(requestID: requestID, op: "promote", status: .rejected, reason: verdict.rejection?.rawValue)
        }
        emit(
            from, .promotionValidated(PromotionValidated(requestID: requestID, candidate: candidate, checks: verdict.checks)),
            correlation: requestID)
        promotionInFlight = requestID
        schedule(after: config.promotionTransferMillis, .finishPromotion(requestID: requestID, candidate: candidate))
        return CommandResult(requestID: requestID, op: "promote", status: .accepted, reason: nil)
    }

    /// Demote the old primary first, then transfer authority: never two primaries.
    mutating func finishPromotion(requestID: String, candidate: String) {
        defer { promotionInFlight = nil }
        guard let ci = index(of: candidate), nodes[ci].alive, nodes[ci].role == .replica else {
            emit(
                speaker,
                .promotionDenied(
                    PromotionDenied(
                        requestID: requestID, candidate: candidate,
                        reasons: [DenialReason(invariant: .candidateIsReplica, detail: "\(candidate) changed during the transfer")])),
                correlation: requestID)
            return
        }
        let old = nodes.indices.filter { nodes[$0].alive && nodes[$0].role == .primary }
        for oi in old {
            emit(nodes[oi].id, .demoted(Demoted(node: nodes[oi].id, cause: .gracefulHandoff, term: term)), correlation: requestID)
            setRole(oi, .replica, reason: "graceful_handoff", correlation: requestID)
        }
        let oldPrimary = old.first.map { nodes[$0].id }
        term += 1
        emit(
            candidate,
            .authorityTransferred(
                AuthorityTransferred(requestID: requestID, oldPrimary: oldPrimary, newPrimary: candidate, term: term)),
            correlation: requestID)
        setRole(ci, .primary, reason: "promotion", correlation: requestID)
        inhibit(reason: "recent_failover", correlation: requestID)
    }

    // MARK: Migration

    mutating func migrate(requestID: String, tenant: String, target: String, dryRun: Bool) -> CommandResult {
        func reject(_ r: RejectionReason) -> CommandResult {
            CommandResult(requestID: requestID, op: "migrate", status: .rejected, reason: r.rawValue)
        }
        guard let current = tenants[tenant] else { return reject(.unknownTenant) }
        guard config.regions.contains(target) else { return reject(.unknownRegion) }
        guard current != target else { return reject(.sameRegion) }
        if migrations.contains(where: { $0.info.tenant == tenant && !$0.info.state.isFinished }) {
            return reject(.migrationInProgress)
        }
        migrationCounter += 1
        let total = dryRun ? 0 : rng.int(in: 4_000...24_000)
        let info = MigrationInfo(
            migrationID: "m-\(migrationCounter)", tenant: tenant, source: current, target: target, state: .inProgress,
            phase: .validating, drainedEntries: 0, totalEntries: total, dryRun: dryRun, startedAt: now)
        migrations.append(SimMigration(info: info, requestID: requestID, startedAt: now))
        trimMigrations()
        emit(speaker, .migrationStarted(MigrationStarted(migration: info)), correlation: requestID)
        schedule(after: config.migrationStepMillis, .migrationStep(id: info.migrationID))
        return CommandResult(requestID: requestID, op: "migrate", status: .accepted, reason: nil)
    }

    mutating func cancel(requestID: String, migrationID: String, by: String) -> CommandResult {
        guard let k = migrations.firstIndex(where: { $0.info.migrationID == migrationID }) else {
            return CommandResult(requestID: requestID, op: "cancel_migration", status: .rejected, reason: RejectionReason.unknownMigration.rawValue)
        }
        guard !migrations[k].info.state.isFinished else {
            return CommandResult(requestID: requestID, op: "cancel_migration", status: .rejected, reason: RejectionReason.migrationFinished.rawValue)
        }
        migrations[k].info.state = .cancelled
        migrations[k].info.phase = nil
        emit(speaker, .migrationCancelled(MigrationCancelled(migrationID: migrationID, by: by)), correlation: requestID)
        return CommandResult(requestID: requestID, op: "cancel_migration", status: .accepted, reason: nil)
    }

    mutating func trimMigrations() {
        var finished = migrations.filter { $0.info.state.isFinished }.count
        while finished > SimCluster.finishedMigrationsKept, let k = migrations.firstIndex(where: { $0.info.state.isFinished }) {
            migrations.remove(at: k)
            finished -= 1
        }
    }

    /// One step of a running migration: validating -> pausing_writes ->
    /// draining_wal (progress until drained) -> updating_placement ->
    /// resuming_writes -> completed; or failed (timeout, target unhealthy).
    mutating func migrationStep(_ id: String) {
        guard let k = migrations.firstIndex(where: { $0.info.migrationID == id }), !migrations[k].info.state.isFinished else { return }
        var m = migrations[k]
        let correlation = m.requestID
        let from = speaker
        func progress(_ phase: MigrationPhase) {
            m.info.phase = phase
            emit(
                from,
                .migrationProgress(
                    MigrationProgress(migrationID: id, phase: phase, drainedEntries: m.info.drainedEntries, totalEntries: m.info.totalEntries)),
                correlation: correlation)
        }
        func fail(_ reason: String) {
            m.info.state = .failed
            emit(from, .migrationFailed(MigrationFailed(migrationID: id, phase: m.info.phase, reason: reason)), correlation: correlation)
            m.info.phase = nil
        }
        var next: Int64? = config.migrationStepMillis
        if now.millis(since: m.startedAt) > config.migrationTimeoutMillis {
            fail("timeout")
            next = nil
        } else {
            switch m.info.phase ?? .validating {
            case .validating:
                let targetHealthy = nodes.contains { $0.region == m.info.target && $0.alive && $0.isServiceable }
                if !targetHealthy {
                    fail("target_unhealthy")
                    next = nil
                } else if m.info.dryRun {
                    m.info.state = .completed
                    m.info.phase = nil
                    emit(
                        from, .migrationCompleted(MigrationCompleted(migrationID: id, durationMillis: now.millis(since: m.startedAt))),
                        correlation: correlation)
                    next = nil
                } else {
                    progress(.pausingWrites)
                }
            case .pausingWrites:
                progress(.drainingWAL)
                next = 500
            case .drainingWAL:
                let step = max(1, config.drainEntriesPerSecond / 2)
                m.info.drainedEntries = min(m.info.totalEntries, m.info.drainedEntries + step)
                if m.info.drainedEntries >= m.info.totalEntries {
                    progress(.updatingPlacement)
                } else {
                    progress(.drainingWAL)
                    next = 500
                }
            case .updatingPlacement:
                tenants[m.info.tenant] = m.info.target
                progress(.resumingWrites)
            default:
                m.info.state = .completed
                m.info.phase = nil
                emit(
                    from, .migrationCompleted(MigrationCompleted(migrationID: id, durationMillis: now.millis(since: m.startedAt))),
                    correlation: correlation)
                next = nil
            }
        }
        migrations[k] = m
        if let next { schedule(after: next, .migrationStep(id: id)) }
        trimMigrations()
    }
}
