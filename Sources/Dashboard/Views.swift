import ClusterProtocol
import ClusterState
import EventSources
import RenderCore

/// The smallest terminal the dashboard draws in; below it, a notice.
public let minimumSize = Size(width: 40, height: 12)

/// Renders the whole screen for `m` into `buffer` (sized to the terminal).
public func render(_ m: AppModel, into buffer: inout Buffer, symbols: Symbols = .unicode) {
    buffer.ellipsis = symbols.ellipsis
    let area = buffer.area
    if area.width < minimumSize.width || area.height < minimumSize.height {
        renderTooSmall(area, &buffer)
        return
    }
    let parts = Layout.split(area, .vertical, [.fixed(1), .fill(1), .fixed(1)])
    renderHeader(m, parts[0], &buffer)
    if m.wall {
        renderWall(m, Rect(x: area.x, y: area.y + 1, width: area.width, height: area.height - 1), &buffer, symbols)
        return
    }
    if m.view == .incident {
        renderIncident(m, parts[1], &buffer, symbols)
    } else {
        renderBody(m, parts[1], &buffer, symbols)
    }
    renderStatus(m, parts[2], &buffer)
    if let overlay = m.overlay {
        renderOverlay(m, overlay, parts[1], &buffer, symbols)
    }
}

func renderTooSmall(_ area: Rect, _ b: inout Buffer) {
    let lines = [
        "terminal too small", "\(area.width)x\(area.height), need \(minimumSize.width)x\(minimumSize.height)",
        "enlarge it, or q to quit",
    ]
    let top = max(0, (area.height - lines.count) / 2)
    for (i, line) in lines.enumerated() {
        let w = min(line.terminalWidth, area.width)
        b.write(line, x: max(0, (area.width - w) / 2), y: top + i, maxWidth: area.width, style: Style(AppSlot.alert, i == 0 ? .bold : []))
    }
}

// MARK: Header and status

func renderHeader(_ m: AppModel, _ r: Rect, _ b: inout Buffer) {
    b.fill(r, with: Cell(" ", style: Style(AppSlot.headerBar)))
    let s = m.state
    let wide = r.width >= 110
    var left = Line([Span(wide ? " clusterdash " : " ", Style(AppSlot.headerBar, .bold))])
    left.append(Span("\(m.clusterLabel ?? s.clusterName ?? "—")  ", Style(AppSlot.headerBar, .bold)))
    left.append(Span("term \(s.term)  ", Style(AppSlot.headerBar)))
    let primaries = s.primaries
    if s.isSplitBrain {
        left.append(Span(" SPLIT BRAIN \(primaries.joined(separator: "+")) ", Style(AppSlot.alert, [.bold, .reverse])))
        left.append(Span("  ", Style(AppSlot.headerBar)))
    } else if s.hasNoPrimary {
        left.append(Span(" NO PRIMARY ", Style(AppSlot.alert, [.bold, .reverse])))
        left.append(Span("  ", Style(AppSlot.headerBar)))
    } else if let p = primaries.first {
        left.append(Span("primary \(p)  ", Style(AppSlot.headerBar)))
    }
    if !s.quorum.present && !s.nodes.isEmpty {
        left.append(Span(" NO QUORUM ", Style(AppSlot.alert, [.bold, .reverse])))
        left.append(Span("  ", Style(AppSlot.headerBar)))
    }
    let live = m.liveEndpoints
    let total = m.endpoints.count
    left.append(Span(wide ? "endpoints \(live)/\(total)  " : "ep \(live)/\(total)  ", Style(live < total ? AppSlot.alert : AppSlot.headerBar, live < total ? .bold : [])))
    left.append(Span("\(Int(m.eventsPerSecond.rounded())) ev/s  ", Style(AppSlot.headerBar)))
    left.append(Span(wide ? "data \(dataAge(m))  " : "age \(dataAge(m))  ", Style(AppSlot.headerBar, isStale(m) ? .bold : [])))
    if m.feed.behind > 0 { left.append(Span("behind \(m.feed.behind)  ", Style(AppSlot.alert, .bold))) }
    var right = Line([])
    if m.replay {
        right.append(Span(" \(m.replayBadge) ", Style(Slot.accent, [.bold, .reverse])))
        right.append(Span(" ", Style(AppSlot.headerBar)))
    }
    if let r = m.rewind {
        right.append(Span(" REWIND -\(ageText(m.now.millis(since: r.at))) ", Style(AppSlot.alert, [.bold, .reverse])))
        right.append(Span(" ", Style(AppSlot.headerBar)))
    }
    right.append(Span(m.readOnly ? " \(symbolsLock) \(m.modeBadge) " : " \(m.modeBadge) ", Style(AppSlot.badge, .reverse)))
    right.append(Span(" \(m.rewind?.at.clockTime ?? m.now.clockTime) ", Style(AppSlot.headerBar, .bold)))
    let rw = right.width
    b.write(left, x: r.x, y: r.y, maxWidth: max(0, r.width - rw - 1))
    b.write(right, x: r.right - rw, y: r.y, maxWidth: rw)
}

/// The lock shown before READ-ONLY (plain text: it must read in any font).
let symbolsLock = "[ro]"

/// How old the newest data is: "0.3s", or "no data".
func dataAge(_ m: AppModel) -> String {
    guard let at = m.lastEventReceivedAt else { return "none" }
    return ageText(m.now.millis(since: at))
}

func isStale(_ m: AppModel) -> Bool {
    guard let at = m.lastEventReceivedAt else { return true }
    return m.now.millis(since: at) > 5_000
}

func ageText(_ millis: Int64) -> String {
    let ms = max(0, millis)
    if ms < 10_000 { return "\(ms / 1000).\(ms % 1000 / 100)s" }
    if ms < 120_000 { return "\(ms / 1000)s" }
    if ms < 7_200_000 { return "\(ms / 60_000)m\(ms / 1000 % 60)s" }
    return "\(ms / 3_600_000)h\(ms / 60_000 % 60)m"
}

func renderStatus(_ m: AppModel, _ r: Rect, _ b: inout Buffer) {
    b.fill(r, with: Cell(" ", style: Style(AppSlot.statusBar)))
    var line = Line([])
    if m.editingFilter {
        line.append(Span(" filter: ", Style(AppSlot.key, .bold)))
        line.append(Span("\(m.logFilter)_", Style(AppSlot.statusBar)))
        line.append(Span("  Enter keep  Esc clear", Style(AppSlot.statusBar, .dim)))
    } else {
        var except: Set<Action> = m.readOnly ? [.promote, .migrate, .cancelMigration] : []
        switch m.overlay {
        case .promote, .cancel: except.formUnion([.toggleDryRun, .nextField])
        case .migrate(let d) where d.step != .confirm: except.insert(.confirm)
        case .help: except.insert(.filter)
        default: break
        }
        for hint in m.keymap.statusHints(m.context, pane: m.overlay == nil ? m.focus : nil, except: except) {
            line.append(Span(" \(hint.keys)", Style(AppSlot.key, .bold)))
            line.append(Span(" \(hint.help) ", Style(AppSlot.statusBar)))
        }
    }
    var right = Line([])
    if let msg = m.message {
        right.append(Span(" \(msg) ", Style(Slot.accent, .bold)))
    } else if !m.logFilter.isEmpty && !m.editingFilter {
        right.append(Span(" filter: \(m.logFilter) ", Style(Slot.accent)))
    }
    let rw = min(right.width, r.width / 2)
    b.write(line, x: r.x, y: r.y, maxWidth: max(0, r.width - rw))
    if rw > 0 { b.write(right, x: r.right - rw, y: r.y, maxWidth: rw) }
}

// MARK: The panes

func renderBody(_ m: AppModel, _ whole: Rect, _ b: inout Buffer, _ sym: Symbols) {
    var r = whole
    let notice = connectionNoticeHeight(m, in: whole)
    if notice > 0 {
        let parts = Layout.split(whole, .vertical, [.fixed(notice), .fill(1)])
        renderConnectionNotice(m, parts[0], &b, sym)
        r = parts[1]
    }
    let nodeRows = max(3, m.state.nodeIDs.count + 3)
    let rows = Layout.split(
        r, .vertical, [.fixed(min(nodeRows, max(5, r.height * 2 / 5))), .percentage(30), .fill(1)])
    let top = Layout.split(rows[0], .horizontal, [.percentage(55), .fill(1)])
    let middle = Layout.split(rows[1], .horizontal, [.percentage(50), .fill(1)])
    renderNodes(m, top[0], &b, sym)
    renderReplication(m, top[1], &b, sym)
    renderAssignments(m, middle[0], &b, sym)
    renderMigrations(m, middle[1], &b, sym)
    renderLog(m, rows[2], &b, sym)
}

func paneBlock(_ m: AppModel, _ pane: Pane, trailing: Line? = nil, _ sym: Symbols) -> Block {
    let focused = m.isFocused(pane)
    return Block(
        title: Line(pane.title), trailing: trailing, borderStyle: Style(focused ? .borderFocused : .border, focused ? .bold : []),
        titleStyle: Style(focused ? .titleFocused : .title, .bold), symbols: sym)
}

func roleSymbol(_ role: NodeRole, _ sym: Symbols) -> (String, Slot) {
    let ascii = sym == .ascii
    switch role {
    case .primary: return (ascii ? "P" : "★", AppSlot.rolePrimary)
    case .replica: return (ascii ? "r" : "●", AppSlot.roleReplica)
    case .candidate: return (ascii ? "c" : "◐", AppSlot.roleCandidate)
    default: return ("?", AppSlot.roleUnknown)
    }
}

func healthSlot(_ h: NodeHealth) -> Slot {
    switch h {
    case .healthy: AppSlot.healthOK
    case .suspect: AppSlot.healthSuspect
    case .degraded, .other: AppSlot.healthDegraded
    case .unhealthy: AppSlot.healthBad
    }
}

func lagSlot(_ millis: Int64?, _ t: Thresholds) -> Slot {
    guard let ms = millis else { return .dim }
    if ms > t.lagCritMillis { return AppSlot.lagCrit }
    if ms > t.lagWarnMillis { return AppSlot.lagWarn }
    return AppSlot.lagOK
}

func lagText(_ millis: Int64?) -> String {
    guard let ms = millis else { return "-" }
    return formatLag(ms)
}

/// `120ms`, `1.3s`, `45s`, `3m05s`.
public func formatLag(_ ms: Int64) -> String {
    if ms < 1_000 { return "\(ms)ms" }
    if ms < 10_000 { return "\(ms / 1000).\(ms % 1000 / 100)s" }
    if ms < 120_000 { return "\(ms / 1000)s" }
    return "\(ms / 60_000)m\(String(format2: ms / 1000 % 60))s"
}

extension String {
    init(format2 v: Int64) { self = v < 10 ? "0\(v)" : "\(v)" }
}

func renderNodes(_ m: AppModel, _ r: Rect, _ b: inout Buffer, _ sym: Symbols) {
    // Only the rows on screen are looked up (the cluster may have thousands).
    let ids = m.state.nodeIDs
    let records = m.state.nodes
    let q = m.state.quorum
    let block = paneBlock(m, .nodes, trailing: Line([Span("quorum \(q.serviceable)/\(q.members)", Style(q.present ? AppSlot.ok : AppSlot.alert, q.present ? [] : .bold))]), sym)
    block.render(r, &b)
    let inner = block.inner(r)
    let now = m.now
    let thresholds = m.thresholds
    let focused = m.isFocused(.nodes)
    let table = Table(
        // When space is short the last columns shrink first: STATE goes before LAG.
        columns: [
            Column("NODE", .min(8)), Column("ROLE", .fixed(9)), Column("HEALTH", .fixed(9)),
            Column("LAG", .fixed(6), alignment: .right), Column("HEARD", .fixed(6), alignment: .right), Column("STATE", .fill(1)),
        ], rowCount: ids.count, selectedStyle: Style(.selection, focused ? .reverse : []), symbols: sym
    ) { i in
        guard let n = records[ids[i]] else { return [Line(ids[i], Style(.dim))] }
        let (symbol, slot) = roleSymbol(n.info.role, sym)
        if let gone = n.departure {
            return [
                Line([Span("\(symbol) ", Style(slot)), Span(n.id, Style(.dim))]), Line("left", Style(.dim)),
                Line(gone.reason.wire.replacingOccurrences(of: "_", with: " "), Style(AppSlot.healthBad)),
                Line("-", Style(.dim)), Line(ageText(now.millis(since: gone.at)), Style(.dim)), Line("-", Style(.dim)),
            ]
        }
        let health = n.info.health == .unhealthy ? "UNHEALTHY" : n.info.health.wire
        let heard = n.lastHeard.map { ageText(now.millis(since: $0)) } ?? "-"
        let lag = n.info.role == .primary ? nil : n.info.lagMillis
        return [
            Line([Span("\(symbol) ", Style(slot, .bold)), Span(n.id, Style(n.info.role == .primary ? AppSlot.rolePrimary : .normal, n.info.role == .primary ? .bold : []))]),
            Line(n.info.role.wire, Style(slot, n.info.role == .primary ? .bold : [])),
            Line(health, Style(healthSlot(n.info.health), n.info.health == .unhealthy ? .bold : [])),
            Line(lagText(lag), Style(lagSlot(lag, thresholds))),
            Line(heard, Style(.dim)),
            Line(n.info.managerState.wire.replacingOccurrences(of: "_", with: " "), Style(n.info.managerState == .stable ? .normal : AppSlot.lagWarn)),
        ]
    }
    var state = TableState(selected: focused || !ids.isEmpty ? m.row(.nodes) : nil)
    if !focused { state.selected = nil }
    table.render(inner, &b, state: &state)
}

func renderReplication(_ m: AppModel, _ r: Rect, _ b: inout Buffer, _ sym: Symbols) {
    let ids = m.state.followerIDs
    let block = paneBlock(m, .replication, trailing: Line("warn >\(formatLag(m.thresholds.lagWarnMillis)) crit >\(formatLag(m.thresholds.lagCritMillis))", Style(.dim)), sym)
    block.render(r, &b)
    let inner = block.inner(r)
    guard !inner.isEmpty else { return }
    if ids.isEmpty {
        b.write("no followers reporting yet", x: inner.x, y: inner.y, maxWidth: inner.width, style: Style(.dim))
        return
    }
    let focused = m.isFocused(.replication)
    let nameWidth = min(10, max(6, m.state.followerNameWidth))
    let valueWidth = 12
    let sparkWidth = max(0, inner.width - nameWidth - valueWidth - 2)
    var state = TableState(selected: focused ? m.row(.replication) : nil)
    state.scrollToSelection(visibleRows: inner.height, rowCount: ids.count)
    let thresholds = m.thresholds
    for (k, i) in (state.offset..<min(ids.count, state.offset + inner.height)).enumerated() {
        guard let f = m.state.followers[ids[i]] else { continue }
        let y = inner.y + k
        b.write(f.follower, x: inner.x, y: y, maxWidth: nameWidth, style: Style(.normal, state.selected == i ? .reverse : []))
        let values = f.history.map { Double($0.lagMillis) }
        let maxValue = max(Double(thresholds.lagWarnMillis) / 4, values.max() ?? 0)
        Sparkline(values: values, maximum: maxValue, styleFor: { v in Style(lagSlot(Int64(v), thresholds)) }, symbols: sym)
            .render(Rect(x: inner.x + nameWidth + 1, y: y, width: sparkWidth, height: 1), &b)
        let value: Line
        if !f.isConnected {
            let since = f.statusSince.map { ageText(m.now.millis(since: $0)) } ?? "?"
            value = Line("DISC \(since)", Style(AppSlot.lagCrit, .bold))
        } else {
            let lag = f.lagMillis
            value = Line(lagText(lag), Style(lagSlot(lag, thresholds), (lag ?? 0) > thresholds.lagCritMillis ? .bold : []))
        }
        let vw = min(valueWidth, value.width)
        b.write(value, x: inner.right - vw, y: y, maxWidth: vw)
    }
}

func renderAssignments(_ m: AppModel, _ r: Rect, _ b: inout Buffer, _ sym: Symbols) {
    let s = m.state
    guard let a = s.assignment else {
        let block = paneBlock(m, .assignments, sym)
        block.render(r, &b)
        let inner = block.inner(r)
        let waiting = s.rebalance.map { "waiting: \($0.reason?.wire ?? "calculator") window \(formatSeconds($0.windowMillis ?? 0))" } ?? "no assignment published yet"
        b.write(waiting, x: inner.x, y: inner.y, maxWidth: inner.width, style: Style(.dim))
        return
    }
    let block = paneBlock(m, .assignments, trailing: Line("v\(a.version)", Style(.accent, .bold)), sym)
    block.render(r, &b)
    let inner = block.inner(r)
    guard !inner.isEmpty else { return }
    let calc = s.rebalance?.calculatorState?.wire ?? "idle"
    let reason = a.reason?.wire ?? s.rebalance?.reason?.wire ?? "-"
    let dot = sym == .ascii ? " | " : " · "
    var info = Line([Span(a.strategy.wire, Style(.normal, .bold)), Span("\(dot)\(reason.replacingOccurrences(of: "_", with: " "))\(dot)calc \(calc)", Style(.normal))])
    if let w = s.rebalance?.windowMillis, calc != "idle" { info.append("\(dot)window \(formatSeconds(w))") }
    b.write(info, x: inner.x, y: inner.y, maxWidth: inner.width)
    let orphans = s.orphanedPartitions
    let dups = a.duplicateIDs.count
    var check = Line([])
    if orphans == 0 && dups == 0 {
        check.append(Span(sym == .ascii ? "ok " : "✓ ", Style(AppSlot.ok, .bold)))
        check.append("every partition assigned once")
    } else {
        check.append(Span(sym == .ascii ? "!! " : "✗ ", Style(AppSlot.alert, .bold)))
        check.append(Span("\(orphans) orphaned, \(dups) duplicated", Style(AppSlot.alert, .bold)))
    }
    check.append(Span("  \(a.partitions.count) partitions, \(a.movedInLastRebalance) moved", Style(.dim)))
    if inner.height > 1 { b.write(check, x: inner.x, y: inner.y + 1, maxWidth: inner.width) }
    guard inner.height > 2 else { return }
    let workers = a.sortedWorkers
    let focused = m.isFocused(.assignments)
    let present = s.presentNodeIDs
    let table = Table(
        columns: [Column("WORKER", .min(8)), Column("PARTS", .fixed(6), alignment: .right), Column("WEIGHT", .fixed(8), alignment: .right), Column("MOVED", .fixed(6), alignment: .right)],
        rowCount: workers.count, selectedStyle: Style(.selection, focused ? .reverse : []), symbols: sym
    ) { i in
        let w = workers[i]
        guard let load = a.workers[w] else { return [Line(w, Style(.dim))] }
        let gone = !present.contains(w)
        return [
            Line(w, Style(gone ? AppSlot.alert : .normal)), Line("\(load.partitions)"),
            Line(load.weight == load.weight.rounded() ? "\(Int(load.weight))" : String(Int((load.weight * 10).rounded())) .inserting(decimalAt: 1)),
            Line(load.movedIn > 0 ? "+\(load.movedIn)" : "0", Style(load.movedIn > 0 ? .accent : .dim)),
        ]
    }
    var state = TableState(selected: focused ? m.row(.assignments) : nil)
    table.render(Rect(x: inner.x, y: inner.y + 2, width: inner.width, height: inner.height - 2), &b, state: &state)
}

extension String {
    /// "125" with 1 decimal -> "12.5".
    func inserting(decimalAt places: Int) -> String {
        guard count > places else { return "0.\(self)" }
        var s = self
        s.insert(".", at: s.index(s.endIndex, offsetBy: -places))
        return s
    }
}

func renderMigrations(_ m: AppModel, _ r: Rect, _ b: inout Buffer, _ sym: Symbols) {
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
    var state = TableState(selected: focused ? m.row(.migrations) : nil)
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
                line.append(Span(" pause \(ageText(m.now.millis(since: start)))", Style(AppSlot.lagWarn)))
            }
        }
        b.write(line, x: inner.x, y: y, maxWidth: inner.width)
        if state.selected == i { b.addModifiers(Rect(x: inner.x, y: y, width: inner.width, height: 1), .reverse) }
        y += 1
        if perItem == 2 {
            var label = "\(Int((mig.fraction * 100).rounded(.down)))%"
            if let rate = mig.drainRatePerSecond, !finished { label += "  \(Int(rate))/s" }
            if let eta = mig.etaMillis, !finished { label += "  ETA \(ageText(eta))" }
            if let d = mig.durationMillis, finished { label += "  in \(formatSeconds(d))" }
            let style = Style(finished ? .dim : .accent, finished ? .dim : [])
            Gauge(ratio: mig.fraction, label: "\(mig.id) \(label)", filledStyle: style, emptyStyle: Style(.dim), symbols: sym)
                .render(Rect(x: inner.x, y: y, width: inner.width, height: 1), &b)
            y += 1
        }
    }
}

/// `✓✓●○○`: the five phases of a migration as a step line.
func phaseSteps(_ mig: MigrationRecord, _ sym: Symbols) -> Line {
    let current = mig.info.phase?.ordinal
    var line = Line([])
    for (k, _) in MigrationPhase.allCases.enumerated() {
        let done = mig.phases.contains { $0.phase.ordinal == k } && (current.map { k < $0 } ?? true) && mig.info.state != .failed
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
        line.append(Span(" \(p.wire.replacingOccurrences(of: "_", with: " "))", Style(.accent)))
    }
    return line
}

func logSlot(_ s: LogSeverity) -> Slot {
    switch s {
    case .info: AppSlot.logInfo
    case .notice: AppSlot.logNotice
    case .warning: AppSlot.logWarning
    case .critical: AppSlot.logCritical
    }
}

func renderLog(_ m: AppModel, _ r: Rect, _ b: inout Buffer, _ sym: Symbols) {
    // Unfiltered, the ring is read in place: no copy of 10,000 lines per frame.
    let log = m.state.log
    let entries: [LogEntry]? = m.logFilter.isEmpty ? nil : m.visibleLog
    let count = entries?.count ?? log.count
    var trailing = Line([])
    if !m.logFilter.isEmpty { trailing.append(Span("/\(m.logFilter) ", Style(.accent, .bold))) }
    trailing.append(Span(m.logScroll == 0 ? "follow" : "scrolled \(m.logScroll)", Style(m.logScroll == 0 ? .dim : AppSlot.lagWarn)))
    let block = paneBlock(m, .log, trailing: trailing, sym)
    block.render(r, &b)
    let inner = block.inner(r)
    guard !inner.isEmpty else { return }
    if count == 0 {
        b.write(m.logFilter.isEmpty ? "nothing yet" : "nothing matches \"\(m.logFilter)\"", x: inner.x, y: inner.y, maxWidth: inner.width, style: Style(.dim))
        return
    }
    LogView(count: count, scrollBack: m.logScroll) { i in
        let e = entries?[i] ?? log[log.startIndex + i]
        let critical = e.severity == .critical
        return Line([
            Span("\(e.at.clockTime) ", Style(.dim)),
            Span(e.source.fitted(to: 8) + " ", Style(.dim)),
            Span(e.text, Style(logSlot(e.severity), critical ? .bold : [])),
        ])
    }.render(inner, &b)
}

// MARK: Overlays

func dialogRect(_ area: Rect, width: Int, height: Int) -> Rect {
    area.centered(width: min(width, area.width - 2), height: min(height, area.height))
}

func renderOverlay(_ m: AppModel, _ overlay: Overlay, _ area: Rect, _ b: inout Buffer, _ sym: Symbols) {
    switch overlay {
    case .help(let scroll): renderHelp(m, scroll, area, &b, sym)
    case .partitions(let scroll, let filter, let editing): renderPartitions(m, scroll, filter, editing, area, &b, sym)
    case .promote(let d): renderPromote(m, d, area, &b, sym)
    case .migrate(let d): renderMigrate(m, d, area, &b, sym)
    case .cancel(let d): renderCancel(m, d, area, &b, sym)
    }
}

func openDialog(_ title: String, _ r: Rect, _ b: inout Buffer, _ sym: Symbols) -> Rect {
    b.fill(r, with: Cell(" ", style: Style(AppSlot.dialog)))
    let block = Block(title: Line(title), borderStyle: Style(.borderFocused, .bold), titleStyle: Style(.titleFocused, .bold), symbols: sym)
    block.render(r, &b)
    return block.inner(r).inset(horizontal: 1, vertical: 0)
}

func renderHelp(_ m: AppModel, _ scroll: Int, _ area: Rect, _ b: inout Buffer, _ sym: Symbols) {
    let lines = m.keymap.helpLines()
    let r = dialogRect(area, width: 72, height: min(area.height, lines.count + 8))
    let inner = openDialog("Help", r, &b, sym)
    var rows: [Line] = []
    var section = ""
    for l in lines {
        if l.section != section {
            if !section.isEmpty { rows.append(Line("")) }
            section = l.section
            rows.append(Line(section, Style(.title, .bold)))
        }
        rows.append(Line([Span(l.keys.fitted(to: 18), Style(AppSlot.key, .bold)), Span(l.help)]))
    }
    rows.append(Line(""))
    rows.append(Line("Roles: \(sym == .ascii ? "P primary  r replica  c candidate" : "★ primary  ● replica  ◐ candidate")  ? unknown", Style(.dim)))
    Paragraph(rows, scroll: min(scroll, max(0, rows.count - inner.height))).render(inner, &b)
}

func renderPartitions(_ m: AppModel, _ scroll: Int, _ filter: String, _ editing: Bool, _ area: Rect, _ b: inout Buffer, _ sym: Symbols) {
    let rows = partitionRows(m, filter: filter)
    let r = dialogRect(area, width: 60, height: area.height)
    let version = m.state.assignment.map { "v\($0.version)" } ?? ""
    let movedCount = m.state.assignment?.movedPartitions.count ?? 0
    let inner = openDialog("Partitions \(version) (\(rows.count), \(movedCount) moved)", r, &b, sym)
    guard inner.height > 1 else { return }
    let filterLine = editing ? "filter: \(filter)_ (Enter keep, Esc clear)" : (filter.isEmpty ? "/ filters by partition id or worker" : "filter: \(filter)")
    b.write(filterLine, x: inner.x, y: inner.y, maxWidth: inner.width, style: Style(.accent))
    let present = m.state.presentNodeIDs
    // What changed since the previous version: the partitions that moved.
    let moved = m.state.assignment?.movedPartitions ?? []
    let table = Table(
        columns: [
            Column("PARTITION", .fixed(10), alignment: .right), Column("WORKER", .min(10)), Column("WEIGHT", .fixed(7), alignment: .right),
            Column("", .fixed(6)),
        ],
        rowCount: rows.count, symbols: sym
    ) { i in
        let p = rows[i]
        let worker = p.worker ?? "unassigned"
        let orphan = p.worker.map { !present.contains($0) } ?? true
        let changed = moved.contains(p.id)
        return [
            Line("\(p.id)", Style(changed ? .accent : .normal, changed ? .bold : [])),
            Line(worker, Style(orphan ? AppSlot.alert : (changed ? .accent : .normal), orphan || changed ? .bold : [])),
            Line(p.weight == p.weight.rounded() ? "\(Int(p.weight))" : "\(p.weight)"),
            Line(changed ? "moved" : "", Style(.accent, .bold)),
        ]
    }
    var state = TableState(selected: rows.isEmpty ? nil : min(scroll, rows.count - 1))
    table.render(Rect(x: inner.x, y: inner.y + 1, width: inner.width, height: inner.height - 1), &b, state: &state)
}

func checkLine(_ c: ValidationCheck, _ sym: Symbols) -> Line {
    let mark = c.ok ? (sym == .ascii ? "ok " : "✓ ") : (sym == .ascii ? "NO " : "✗ ")
    let name = c.invariant.wire.replacingOccurrences(of: "_", with: " ")
    return Line([
        Span(mark, Style(c.ok ? AppSlot.ok : AppSlot.alert, .bold)), Span(name.fitted(to: 22)),
        Span(c.detail ?? "", Style(c.ok ? .normal : AppSlot.alert, c.ok ? [] : .bold)),
    ])
}

func renderPromote(_ m: AppModel, _ d: PromoteDialog, _ area: Rect, _ b: inout Buffer, _ sym: Symbols) {
    let r = dialogRect(area, width: 76, height: 20)
    let inner = openDialog("Promote a replica", r, &b, sym)
    var rows: [Line] = []
    if let id = d.requestID, let cand = d.sentCandidate {
        // Sent: the result and the correlated events, live.
        rows.append(Line([Span("promote \(cand) ", Style(.normal, .bold)), Span("request \(id)", Style(.dim))]))
        if let result = m.state.commandResults[id] {
            let ok = result.status == .accepted || result.status == .completed
            rows.append(Line([Span("result: ", Style(.normal)), Span("\(result.status.wire)\(result.reason.map { " (\($0))" } ?? "")", Style(ok ? AppSlot.ok : AppSlot.alert, .bold))]))
        } else {
            rows.append(Line("result: pending...", Style(AppSlot.lagWarn, .bold)))
        }
        if let p = m.state.promotions[id] {
            rows.append(Line(p.explanation, Style(p.phase == .completed ? AppSlot.ok : (p.phase == .denied || p.phase == .rejected ? AppSlot.alert : .normal), .bold)))
        }
        rows.append(Line(""))
        for e in m.state.log.filter({ $0.correlationID == id }).suffix(10) {
            rows.append(Line([Span("\(e.at.clockTime) ", Style(.dim)), Span(e.text, Style(logSlot(e.severity)))]))
        }
        rows.append(Line(""))
        rows.append(Line("Esc closes", Style(.dim)))
        Paragraph(rows).render(inner, &b)
        return
    }
    rows.append(Line("Candidates (j/k choose):", Style(.title, .bold)))
    for (i, c) in d.candidates.enumerated() {
        let verdict = m.state.promotionPreview(candidate: c, now: m.now, lagLimitMillis: m.thresholds.promotionLagLimitMillis)
        let mark = verdict.allowed ? (sym == .ascii ? "ok" : "✓") : (sym == .ascii ? "NO" : "✗")
        var line = Line([Span(i == d.selected ? (sym == .ascii ? "> " : "▸ ") : "  ", Style(.accent, .bold)), Span(c.fitted(to: 12), Style(.normal, i == d.selected ? .bold : []))])
        line.append(Span(mark, Style(verdict.allowed ? AppSlot.ok : AppSlot.alert, .bold)))
        rows.append(line)
    }
    guard let cand = d.candidates[safe: d.selected] else { return }
    let verdict = m.state.promotionPreview(candidate: cand, now: m.now, lagLimitMillis: m.thresholds.promotionLagLimitMillis)
    rows.append(Line(""))
    rows.append(Line("Why (or why not) \(cand), by the dashboard's own data:", Style(.title, .bold)))
    for c in verdict.checks { rows.append(checkLine(c, sym)) }
    rows.append(Line(""))
    if verdict.allowed {
        rows.append(Line([Span("y", Style(AppSlot.key, .bold)), Span(" sends the promotion  "), Span("Esc", Style(AppSlot.key, .bold)), Span(" cancels")]))
    } else {
        rows.append(Line("Checks fail. The server decides; to send anyway type \(cand) and Enter:", Style(AppSlot.alert, .bold)))
        rows.append(Line([Span("> ", Style(.accent)), Span("\(d.typed)_", Style(.normal, .bold))]))
    }
    Paragraph(rows).render(inner, &b)
}

func renderMigrate(_ m: AppModel, _ d: MigrateDialog, _ area: Rect, _ b: inout Buffer, _ sym: Symbols) {
    let r = dialogRect(area, width: 64, height: 18)
    let inner = openDialog("Migrate a tenant", r, &b, sym)
    var rows: [Line] = []
    let tenant = d.tenants[safe: d.tenantIndex] ?? "?"
    let from = m.state.tenants[tenant] ?? "?"
    if let id = d.requestID {
        rows.append(Line("migrate \(tenant) \(from) -> \(d.regions[safe: d.regionIndex] ?? "?")\(d.dryRun ? " (dry run)" : "")", Style(.normal, .bold)))
        if let result = m.state.commandResults[id] {
            let ok = result.status == .accepted || result.status == .completed
            rows.append(Line("result: \(result.status.wire)\(result.reason.map { " (\($0))" } ?? "")", Style(ok ? AppSlot.ok : AppSlot.alert, .bold)))
        } else {
            rows.append(Line("result: pending...", Style(AppSlot.lagWarn, .bold)))
        }
        for e in m.state.log.filter({ $0.correlationID == id }).suffix(8) {
            rows.append(Line([Span("\(e.at.clockTime) ", Style(.dim)), Span(e.text, Style(logSlot(e.severity)))]))
        }
        rows.append(Line("progress shows in Migrations; Esc closes", Style(.dim)))
        Paragraph(rows).render(inner, &b)
        return
    }
    switch d.step {
    case .tenant:
        rows.append(Line("1. Tenant (j/k, Enter):", Style(.title, .bold)))
        let first = max(0, min(d.tenantIndex - 5, d.tenants.count - 10))
        for (i, t) in d.tenants.enumerated().dropFirst(first).prefix(10) {
            rows.append(Line([Span(i == d.tenantIndex ? (sym == .ascii ? "> " : "▸ ") : "  ", Style(.accent, .bold)), Span(t.fitted(to: 16), Style(.normal, i == d.tenantIndex ? .bold : [])), Span(m.state.tenants[t] ?? "", Style(.dim))]))
        }
    case .region:
        rows.append(Line("2. Target region for \(tenant) (now in \(from)):", Style(.title, .bold)))
        for (i, region) in d.regions.enumerated() {
            let same = region == from
            rows.append(Line([Span(i == d.regionIndex ? (sym == .ascii ? "> " : "▸ ") : "  ", Style(.accent, .bold)), Span(region, Style(same ? .dim : .normal, i == d.regionIndex ? .bold : [])), Span(same ? "  (current)" : "", Style(.dim))]))
        }
    case .confirm:
        let target = d.regions[safe: d.regionIndex] ?? "?"
        rows.append(Line("3. Confirm", Style(.title, .bold)))
        rows.append(Line([Span("tenant  "), Span(tenant, Style(.normal, .bold))]))
        rows.append(Line([Span("from    "), Span(from)]))
        rows.append(Line([Span("to      "), Span(target, Style(.normal, .bold))]))
        rows.append(Line([Span("dry run "), Span(d.dryRun ? "yes: validate only, change nothing" : "no: writes pause during the move", Style(d.dryRun ? .normal : AppSlot.lagWarn, .bold))]))
        if target == from { rows.append(Line("the tenant is already there: the server will reject it", Style(AppSlot.alert, .bold))) }
        rows.append(Line(""))
        rows.append(Line([Span("y", Style(AppSlot.key, .bold)), Span(" sends  "), Span("d", Style(AppSlot.key, .bold)), Span(" dry run on/off  "), Span("Esc", Style(AppSlot.key, .bold)), Span(" cancels")]))
    }
    Paragraph(rows).render(inner, &b)
}

func renderCancel(_ m: AppModel, _ d: CancelDialog, _ area: Rect, _ b: inout Buffer, _ sym: Symbols) {
    let r = dialogRect(area, width: 56, height: 8)
    let inner = openDialog("Cancel migration", r, &b, sym)
    var rows: [Line] = [Line("Cancel \(d.migrationID) (\(d.tenant))? Writes resume at the source.", Style(.normal, .bold))]
    if let id = d.requestID {
        if let result = m.state.commandResults[id] {
            rows.append(Line("result: \(result.status.wire)\(result.reason.map { " (\($0))" } ?? "")", Style(result.status == .accepted ? AppSlot.ok : AppSlot.alert, .bold)))
        } else {
            rows.append(Line("result: pending...", Style(AppSlot.lagWarn, .bold)))
        }
        rows.append(Line("Esc closes", Style(.dim)))
    } else {
        rows.append(Line([Span("y", Style(AppSlot.key, .bold)), Span(" cancels the migration  "), Span("Esc", Style(AppSlot.key, .bold)), Span(" keeps it running")]))
    }
    Paragraph(rows, wrap: true).render(inner, &b)
}
