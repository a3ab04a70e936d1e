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
    let layout = BodyLayout(m, whole)
    if let notice = layout.notice { renderConnectionNotice(m, notice, &b, sym) }
    for pane in Pane.allCases {
        pane.component.render(m, layout.panes[pane] ?? .zero, &b, sym)
    }
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

func countedLagSlot(_ count: Int64?, unit: String, _ t: Thresholds) -> Slot {
    guard let n = count else { return .dim }
    let limits = t.countLimits(unit)
    if n > limits.crit { return AppSlot.lagCrit }
    if n > limits.warn { return AppSlot.lagWarn }
    return AppSlot.lagOK
}

/// A follower's lag as shown, in its unit: counted (bytes, transactions)
/// with `unknown`, `ahead` and `starting` in words (never a blank or a
/// false 0), or time.
func lagFigure(_ f: FollowerRecord?, unit: String, _ t: Thresholds) -> (text: String, slot: Slot, critical: Bool) {
    guard let f else { return ("-", .dim, false) }
    guard f.unit == .counted else {
        return (lagText(f.lagMillis), lagSlot(f.lagMillis, t), (f.lagMillis ?? 0) > t.lagCritMillis)
    }
    switch f.lagState {
    case .measured?:
        let n = f.lagBytes ?? 0
        return (formatLagCount(n, unit: unit), countedLagSlot(n, unit: unit, t), n > t.countLimits(unit).crit)
    case .ahead?: return ("ahead", AppSlot.lagWarn, false)
    case .starting?: return ("starting", AppSlot.lagWarn, false)
    case .unknown?, .other?, nil: return ("unknown", AppSlot.lagWarn, false)
    }
}

func lagText(_ millis: Int64?) -> String {
    guard let ms = millis else { return "-" }
    return formatDuration(ms, .compactMillis)
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
    case .stepDown(let d): renderStepDown(m, d, area, &b, sym)
    }
}
