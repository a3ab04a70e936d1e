import ClusterProtocol

extension ClusterState {
    /// Tenant migrations: started, progress by phase, completed, failed, cancelled.
    mutating func reduceMigration(_ e: Envelope) -> (ApplyOutcome.Disposition, ResyncReason?) {
        let t = e.timestamp
        switch e.event {
        case .migrationStarted(let d):
            var m = migrations[d.migration.migrationID] ?? MigrationRecord(info: d.migration)
            m.info = d.migration
            m.lastUpdate = t
            if m.info.startedAt == nil { m.info.startedAt = t }
            if let p = d.migration.phase { m.enter(p, at: t) }
            putMigration(m)
            let info = d.migration
            appendLog(
                e, .notice,
                .migrationStarted(id: info.migrationID, tenant: info.tenant, source: info.source, target: info.target, dryRun: info.dryRun))

        case .migrationProgress(let d):
            guard var m = migrations[d.migrationID] else {
                appendLog(e, .info, .migrationProgressUnknown(id: d.migrationID))
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
                appendLog(e, .info, .migrationPhase(id: d.migrationID, tenant: m.info.tenant, phase: p))
            }

        case .migrationCompleted(let d):
            guard var m = migrations[d.migrationID] else {
                appendLog(
                    e, .notice, .migrationCompleted(id: d.migrationID, tenant: nil, region: nil, durationMillis: d.durationMillis, dryRun: false))
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
            appendLog(
                e, .notice,
                .migrationCompleted(
                    id: d.migrationID, tenant: m.info.tenant, region: m.info.dryRun ? m.info.source : m.info.target,
                    durationMillis: d.durationMillis, dryRun: m.info.dryRun))

        case .migrationFailed(let d):
            if var m = migrations[d.migrationID] {
                m.info.state = .failed
                // A finished migration has no phase (the contract's and a
                // snapshot's view); where it stopped stays in `phases`.
                m.info.phase = nil
                m.failureReason = d.reason
                m.finishedAt = t
                if m.writePauseStartedAt != nil, m.writePauseEndedAt == nil { m.writePauseEndedAt = t }
                m.lastUpdate = t
                putMigration(m)
            }
            appendLog(e, .warning, .migrationFailed(id: d.migrationID, phase: d.phase, reason: d.reason))

        case .migrationCancelled(let d):
            if var m = migrations[d.migrationID] {
                m.info.state = .cancelled
                m.info.phase = nil
                m.cancelledBy = d.by
                m.finishedAt = t
                if m.writePauseStartedAt != nil, m.writePauseEndedAt == nil { m.writePauseEndedAt = t }
                m.lastUpdate = t
                putMigration(m)
            }
            appendLog(e, .notice, .migrationCancelled(id: d.migrationID, by: d.by))

        default:
            break
        }
        return (.applied, nil)
    }
}
