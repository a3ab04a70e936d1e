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

// MARK: Overlays

func renderOverlay(_ m: AppModel, _ overlay: Overlay, _ area: Rect, _ b: inout Buffer, _ sym: Symbols) {
    switch overlay {
    case .help(let scroll): renderHelp(m, scroll, area, &b, sym)
    case .partitions(let p): renderPartitions(m, p, area, &b, sym)
    case .promote(let d): renderPromote(m, d, area, &b, sym)
    case .migrate(let d): renderMigrate(m, d, area, &b, sym)
    case .cancel(let d): renderCancel(m, d, area, &b, sym)
    }
}
