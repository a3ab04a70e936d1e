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

/// Where everything of the dashboard screen goes: one layout for drawing
/// and for the scroll offsets `update` keeps.
struct BodyLayout {
    var notice: Rect?
    var panes: [Pane: Rect]

    init(_ m: AppModel, _ whole: Rect) {
        var r = whole
        let notice = connectionNoticeHeight(m, in: whole)
        if notice > 0 {
            let parts = Layout.split(whole, .vertical, [.fixed(notice), .fill(1)])
            self.notice = parts[0]
            r = parts[1]
        }
        let nodeRows = max(3, m.state.nodeIDs.count + 3)
        let rows = Layout.split(r, .vertical, [.fixed(min(nodeRows, max(5, r.height * 2 / 5))), .percentage(30), .fill(1)])
        let top = Layout.split(rows[0], .horizontal, [.percentage(55), .fill(1)])
        let middle = Layout.split(rows[1], .horizontal, [.percentage(50), .fill(1)])
        panes = [.nodes: top[0], .replication: top[1], .assignments: middle[0], .migrations: middle[1], .log: rows[2]]
    }

    /// The body of a screen of `size`: between the header and the status line.
    static func body(_ size: Size) -> Rect {
        Rect(x: 0, y: 1, width: size.width, height: max(0, size.height - 2))
    }
}

/// How many rows of `pane`'s table are on screen (what scrolling keeps the
/// selection within).
public func visibleRows(_ m: AppModel, _ pane: Pane) -> Int {
    guard let r = BodyLayout(m, BodyLayout.body(m.size)).panes[pane] else { return 0 }
    let inner = max(0, r.height - 2)
    switch pane {
    case .nodes: return max(0, inner - 1)  // the header row
    case .replication: return inner
    case .assignments: return max(0, inner - 3)  // two lines of summary, the header
    case .migrations: return max(1, inner / (inner >= 4 ? 2 : 1))
    case .log: return inner
    }
}

/// The table state of `pane` with its kept offset (ratatui's StatefulWidget):
/// scrolling up past the first page moves the selection, not the page.
func tableState(_ m: AppModel, _ pane: Pane, selected: Int?) -> TableState {
    TableState(selected: selected, offset: m.offsets[pane] ?? 0)
}

func renderBody(_ m: AppModel, _ whole: Rect, _ b: inout Buffer, _ sym: Symbols) {
    let layout = BodyLayout(m, whole)
    if let notice = layout.notice { renderConnectionNotice(m, notice, &b, sym) }
    let p = layout.panes
    renderNodes(m, p[.nodes] ?? .zero, &b, sym)
    renderReplication(m, p[.replication] ?? .zero, &b, sym)
    renderAssignments(m, p[.assignments] ?? .zero, &b, sym)
    renderMigrations(m, p[.migrations] ?? .zero, &b, sym)
    renderLog(m, p[.log] ?? .zero, &b, sym)
}

/// What each pane needs from the source.
func needs(_ pane: Pane) -> SourceCapabilities {
    switch pane {
    case .nodes, .log: .roles
    case .replication: .lag
    case .assignments: .assignments
    case .migrations: .migrations
    }
}

/// A pane whose data no source provides: its frame and one calm line
/// saying so (true), instead of an empty table that looks like an outage.
func renderUnprovided(_ m: AppModel, _ pane: Pane, _ r: Rect, _ b: inout Buffer, _ sym: Symbols) -> Bool {
    guard !m.capabilities.contains(needs(pane)) else { return false }
    let block = paneBlock(m, pane, sym)
    block.render(r, &b)
    let inner = block.inner(r)
    let what: String
    switch pane {
    case .nodes, .log: what = "nodes or roles"
    case .replication: what = "replication lag"
    case .assignments: what = "partition assignments"
    case .migrations: what = "tenant migrations"
    }
    b.write("this cluster's source reports no \(what)", x: inner.x, y: inner.y, maxWidth: inner.width, style: Style(.dim))
    return true
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

func byteLagSlot(_ bytes: Int64?, _ t: Thresholds) -> Slot {
    guard let b = bytes else { return .dim }
    if b > t.lagCritBytes { return AppSlot.lagCrit }
    if b > t.lagWarnBytes { return AppSlot.lagWarn }
    return AppSlot.lagOK
}

/// A follower's lag as shown, in its unit: bytes with `unknown`, `ahead` and
/// `starting` in words (never a blank or a false 0), or time.
func lagFigure(_ f: FollowerRecord?, _ t: Thresholds) -> (text: String, slot: Slot, critical: Bool) {
    guard let f else { return ("-", .dim, false) }
    guard f.unit == .bytes else {
        return (lagText(f.lagMillis), lagSlot(f.lagMillis, t), (f.lagMillis ?? 0) > t.lagCritMillis)
    }
    switch f.lagState {
    case .measured?:
        let b = f.lagBytes ?? 0
        return (formatBytes(b), byteLagSlot(b, t), b > t.lagCritBytes)
    case .ahead?: return ("ahead", AppSlot.lagWarn, false)
    case .starting?: return ("starting", AppSlot.lagWarn, false)
    case .unknown?, .other?, nil: return ("unknown", AppSlot.lagWarn, false)
    }
}

func lagText(_ millis: Int64?) -> String {
    guard let ms = millis else { return "-" }
    return formatDuration(ms, .compactMillis)
}

extension String {
    init(format2 v: Int64) { self = v < 10 ? "0\(v)" : "\(v)" }
}

// MARK: Overlays

func renderOverlay(_ m: AppModel, _ overlay: Overlay, _ area: Rect, _ b: inout Buffer, _ sym: Symbols) {
    switch overlay {
    case .help(let scroll): renderHelp(m, scroll, area, &b, sym)
    case .endpoints: renderEndpoints(m, area, &b, sym)
    case .partitions(let p): renderPartitions(m, p, area, &b, sym)
    case .promote(let d): renderPromote(m, d, area, &b, sym)
    case .migrate(let d): renderMigrate(m, d, area, &b, sym)
    case .cancel(let d): renderCancel(m, d, area, &b, sym)
    }
}
