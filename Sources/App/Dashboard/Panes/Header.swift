import ClusterProtocol
import ClusterState
import EventSources
import RenderCore

func renderHeader(_ m: AppModel, _ r: Rect, _ b: inout Buffer) {
    b.fill(r, with: Cell(" ", style: Style(AppSlot.headerBar)))
    let s = m.state
    let wide = r.width >= 110
    var left = Line([Span(wide ? " clusterdash " : " ", Style(AppSlot.headerBar, .bold))])
    left.append(Span("\(m.clusterLabel ?? s.clusterName ?? "—")  ", Style(AppSlot.headerBar, .bold)))
    left.append(Span("term \(s.term)  ", Style(AppSlot.headerBar)))
    if let engine = s.engine {
        // Which engine, and how its changes arrive (pushed or polled) where
        // there is room for it after everything else the header says.
        let feed = engine.feed.map { r.width >= 140 ? " (\($0))" : "" } ?? ""
        left.append(Span("\(engine.name)\(feed)  ", Style(AppSlot.headerBar)))
        if engine.paused {
            left.append(Span(" PAUSED ", Style(AppSlot.alert, [.bold, .reverse])))
            left.append(Span("  ", Style(AppSlot.headerBar)))
        }
    }
    let primaries = s.primaries
    if s.isSplitBrain {
        left.append(Span(" SPLIT BRAIN \(s.splitBrainPrimaries.joined(separator: "+")) ", Style(AppSlot.alert, [.bold, .reverse])))
        left.append(Span("  ", Style(AppSlot.headerBar)))
    } else if s.hasNoPrimary {
        left.append(Span(" NO PRIMARY ", Style(AppSlot.alert, [.bold, .reverse])))
        left.append(Span("  ", Style(AppSlot.headerBar)))
    } else if primaries.count > 1 {
        left.append(Span("\(primaries.count) primaries  ", Style(AppSlot.headerBar)))
    } else if let p = primaries.first {
        left.append(Span("primary \(p)  ", Style(AppSlot.headerBar)))
    }
    if !s.quorum.present && !s.nodes.isEmpty && m.engineRules.decidesByMajority {
        left.append(Span(" NO QUORUM ", Style(AppSlot.alert, [.bold, .reverse])))
        left.append(Span("  ", Style(AppSlot.headerBar)))
    }
    // Events an upstream publisher holds (NATS without a stream leader):
    // they come later, in order; until then the screen is that far behind.
    if let held = m.endpoints.compactMap({ $0.stats?.heldUpstream }).max(by: { $0.events < $1.events }) {
        let age = held.since.map { " " + formatDuration(max(0, m.now.millis(since: $0)), .compact) } ?? ""
        left.append(Span(wide ? " HELD UPSTREAM \(held.events) ev\(age) " : " HELD \(held.events)\(age) ", Style(AppSlot.alert, [.bold, .reverse])))
        left.append(Span("  ", Style(AppSlot.headerBar)))
    }
    let live = m.liveEndpoints
    let total = m.endpoints.count
    left.append(
        Span(
            wide ? "endpoints \(live)/\(total)  " : "ep \(live)/\(total)  ",
            Style(live < total ? AppSlot.alert : AppSlot.headerBar, live < total ? .bold : [])))
    left.append(Span("\(Int(m.eventsPerSecond.rounded())) ev/s  ", Style(AppSlot.headerBar)))
    left.append(Span(wide ? "data \(dataAge(m))  " : "age \(dataAge(m))  ", Style(AppSlot.headerBar, isStale(m) ? .bold : [])))
    if m.feed.behind > 0 { left.append(Span("behind \(m.feed.behind)  ", Style(AppSlot.alert, .bold))) }
    var right = Line([])
    if m.replay {
        right.append(Span(" \(m.replayBadge) ", Style(Slot.accent, [.bold, .reverse])))
        right.append(Span(" ", Style(AppSlot.headerBar)))
    }
    if let r = m.rewind {
        right.append(Span(" REWIND -\(formatDuration(m.now.millis(since: r.at), .compact)) ", Style(AppSlot.alert, [.bold, .reverse])))
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
    return formatDuration(m.now.millis(since: at), .compact)
}

func isStale(_ m: AppModel) -> Bool {
    guard let at = m.lastEventReceivedAt else { return true }
    return m.now.millis(since: at) > 5_000
}

func renderStatus(_ m: AppModel, _ r: Rect, _ b: inout Buffer) {
    b.fill(r, with: Cell(" ", style: Style(AppSlot.statusBar)))
    var line = Line([])
    if m.editingFilter {
        line.append(Span(" filter: ", Style(AppSlot.key, .bold)))
        line.append(Span("\(m.logFilterField.shown) ", Style(AppSlot.statusBar)))
        for hint in m.keymap.statusHints(.textEntry) {
            line.append(Span(" \(hint.keys)", Style(AppSlot.key, .bold)))
            line.append(Span(" \(hint.help) ", Style(AppSlot.statusBar, .dim)))
        }
    } else {
        // Command keys the dashboard cannot use are not offered.
        var except = m.unusableCommands
        // Once a command is sent, its dialog only closes.
        let sent: Set<Action> = [.confirm, .toggleDryRun, .nextField, .down, .up]
        switch m.overlay {
        case .promote(let d) where !d.isOpen: except.formUnion(sent)
        case .cancel(let d) where d.command != nil: except.formUnion(sent)
        case .migrate(let d) where d.isSent: except.formUnion(sent)
        case .promote, .cancel: except.formUnion([.toggleDryRun, .nextField])
        case .migrate(let d) where d.phase != .confirm: except.insert(.confirm)
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
