import ClusterProtocol
import ClusterState
import EventSources
import RenderCore

/// Tenant migrations and their progress.
enum MigrationsPane: PaneComponent {
    static let title = "Migrations"
    static let needs: SourceCapabilities = .migrations
    static let shows = "tenant migrations"
    /// Two lines a migration when there is room.
    static func visibleRows(inner: Int) -> Int { max(1, inner / (inner >= 4 ? 2 : 1)) }
    static func rowCount(_ m: AppModel) -> Int { m.state.migrations.count }

    /// x: cancel the selected migration (behind its dialog).
    static func key(_ m: inout AppModel, _ action: Action) -> [Effect]? {
        guard action == .cancelMigration, let mig = m.state.orderedMigrations[safe: m.row(.migrations)] else { return nil }
        if mig.info.state.isFinished {
            m.say("\(mig.id) already \(mig.info.state.wire)")
        } else {
            m.overlay = .cancel(CancelDialog(migrationID: mig.id, tenant: mig.info.tenant))
        }
        return []
    }

    static func render(_ m: AppModel, _ r: Rect, _ b: inout Buffer, _ sym: Symbols) { renderMigrations(m, r, &b, sym) }
}

func renderMigrations(_ m: AppModel, _ r: Rect, _ b: inout Buffer, _ sym: Symbols) {
    if renderUnprovided(m, .migrations, r, &b, sym) { return }
    let migrations = m.state.orderedMigrations
    let running = migrations.filter { !$0.info.state.isFinished }.count
    let block = paneBlock(m, .migrations, trailing: Line("\(running) running", Style(running > 0 ? .accent : .dim)), sym)
    block.render(r, &b)
    let inner = block.inner(r)
    guard !inner.isEmpty else { return }
    if migrations.isEmpty {
        b.write("no migrations (m starts one)", x: inner.x, y: inner.y, maxWidth: inner.width, style: Style(.dim))
        return
    }
    let focused = m.isFocused(.migrations)
    let perItem = inner.height >= 4 ? 2 : 1
    let visible = max(1, inner.height / perItem)
    var state = tableState(m, .migrations, selected: focused ? m.row(.migrations) : nil)
    state.scrollToSelection(visibleRows: visible, rowCount: migrations.count)
    var y = inner.y
    for i in state.offset..<min(migrations.count, state.offset + visible) {
        let mig = migrations[i]
        let finished = mig.info.state.isFinished
        let base: Modifiers = finished ? .dim : []
        var line = Line([
            Span("\(mig.info.tenant) ", Style(.normal, base.union(.bold))),
            Span("\(mig.info.source)\(sym == .ascii ? "->" : "→")\(mig.info.target) ", Style(.normal, base)),
        ])
        if mig.info.dryRun { line.append(Span("dry ", Style(.dim))) }
        line.spans += phaseSteps(mig, sym).spans
        switch mig.info.state {
        case .completed: line.append(Span(" done", Style(AppSlot.ok, base)))
        case .failed: line.append(Span(" FAILED \(mig.failureReason ?? "")", Style(AppSlot.alert, .bold)))
        case .cancelled: line.append(Span(" cancelled", Style(AppSlot.lagWarn, base)))
        default:
            if let start = mig.writePauseStartedAt, mig.writePauseEndedAt == nil {
                line.append(Span(" pause \(formatDuration(m.now.millis(since: start), .compact))", Style(AppSlot.lagWarn)))
            }
        }
        b.write(line, x: inner.x, y: y, maxWidth: inner.width)
        if state.selected == i { b.addModifiers(Rect(x: inner.x, y: y, width: inner.width, height: 1), .reverse) }
        y += 1
        if perItem == 2 {
            var label = "\(Int(saturating: (mig.fraction * 100).rounded(.down)))%"
            if let rate = mig.drainRatePerSecond, !finished { label += "  \(Int(saturating: rate))/s" }
            if let eta = mig.etaMillis, !finished { label += "  ETA \(formatDuration(eta, .compact))" }
            if let d = mig.durationMillis, finished { label += "  in \(formatDuration(d, .words))" }
            let style = Style(finished ? .dim : .accent, finished ? .dim : [])
            Gauge(ratio: mig.fraction, label: "\(mig.id) \(label)", filledStyle: style, emptyStyle: Style(.dim), symbols: sym)
                .render(Rect(x: inner.x, y: y, width: inner.width, height: 1), &b)
            y += 1
        }
    }
}

/// `✓✓●○○`: the five phases of a migration as a step line.
func phaseSteps(_ mig: MigrationRecord, _ sym: Symbols) -> Line {
    // A failed or cancelled migration has no phase left: it stopped in the
    // last one it entered.
    let stopped = mig.info.state == .failed || mig.info.state == .cancelled
    let current = mig.info.phase?.ordinal ?? (stopped ? mig.phases.last?.phase.ordinal : nil)
    var line = Line([])
    for (k, _) in MigrationPhase.allCases.enumerated() {
        let done =
            mig.phases.contains { $0.phase.ordinal == k } && (current.map { k < $0 } ?? true) && mig.info.state != .failed
            || (mig.info.state == .completed)
        if let c = current, k == c, !mig.info.state.isFinished {
            line.append(Span(sym == .ascii ? ">" : "●", Style(.accent, .bold)))
        } else if done {
            line.append(Span(sym == .ascii ? "+" : "✓", Style(AppSlot.ok)))
        } else {
            line.append(Span(sym == .ascii ? "." : "○", Style(.dim)))
        }
    }
    if let p = mig.info.phase, !mig.info.state.isFinished {
        line.append(Span(" \(p.wire.replacingUnderscores)", Style(.accent)))
    }
    return line
}
