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

        default:
            break
        }
        return (.applied, nil)
    }
}
