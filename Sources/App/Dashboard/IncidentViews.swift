import ClusterProtocol
import ClusterState
import RenderCore

/// One line of an incident timeline: an event or an operator action. An
/// event's words are made when read (a frame reads only the rows it shows).
public struct TimelineItem: Sendable, Hashable {
    public var at: Timestamp
    public var severity: LogSeverity
    public var isOperator: Bool
    private var entry: LogEntry?
    private var action: String?

    init(entry: LogEntry) {
        at = entry.at
        severity = entry.severity
        isOperator = false
        self.entry = entry
    }

    init(at: Timestamp, operatorAction text: String) {
        self.at = at
        severity = .notice
        isOperator = true
        action = text
    }

    public var text: String { entry.map { "\($0.source): \($0.text)" } ?? action ?? "" }
}

/// What happened since the incident began (or in the last 10 minutes when
/// there is none), events and operator actions merged in time order.
public func incidentTimeline(_ m: AppModel) -> [TimelineItem] {
    let start = m.incidentStart ?? m.now.adding(millis: -600_000)
    var items = m.state.log.filter { $0.at >= start && $0.kind.isTimelineWorthy }.map(TimelineItem.init(entry:))
    for a in m.operatorActions where a.at >= start {
        items.append(
            TimelineItem(
                at: a.at, operatorAction: "OPERATOR \(a.op) \(a.target) (\(a.confirmation))\(a.requestID.map { " as \($0)" } ?? "")"))
    }
    return items.sorted { $0.at < $1.at }
}

func alertSlot(_ s: AlertSeverity) -> Slot {
    switch s {
    case .critical: AppSlot.logCritical
    case .warning: AppSlot.logWarning
    case .info: AppSlot.logNotice
    }
}

func alertLines(_ m: AppModel, _ alerts: [Alert]) -> [Line] {
    alerts.map { a in
        var line = Line([Span(" \(a.severity.label) ", Style(alertSlot(a.severity), a.severity == .critical ? [.bold, .reverse] : .bold))])
        if let since = a.since {
            line.append(Span(" \(since.clockTime) (\(formatDuration(m.now.millis(since: since), .compact))) ", Style(.dim)))
        }
        let quiet = a.clearedAt != nil || a.ack != nil
        line.append(Span(a.text, Style(quiet ? .dim : alertSlot(a.severity), a.severity == .critical && !quiet ? .bold : [])))
        if a.flaps > 0 {
            let state = a.clearedAt.map { ", clear for \(formatDuration(m.now.millis(since: $0), .compact))" } ?? ""
            let from = a.flappingSince.map { " since \($0.clockTime)" } ?? ""
            line.append(Span("  flapping \(a.flaps + 1)x\(from)\(state)", Style(AppSlot.lagWarn, .bold)))
        }
        if let ack = a.ack { line.append(Span("  ack \(ack.by) \(ack.at.clockTime)", Style(.dim))) }
        return line
    }
}

/// The on-call incident view: alerts worst first, then the timeline.
func renderIncident(_ m: AppModel, _ r: Rect, _ b: inout Buffer, _ sym: Symbols) {
    let alerts = listedAlerts(m)
    let alertsHeight = min(max(3, alerts.count + 2), max(3, r.height / 2))
    let parts = Layout.split(r, .vertical, [.fixed(alertsHeight), .fill(1)])
    let worst = alerts.first?.severity
    let top = Block(
        title: Line("Alerts"), trailing: Line(alerts.isEmpty ? "none" : "\(alerts.count)", Style(worst == .critical ? AppSlot.alert : .dim, .bold)),
        borderStyle: Style(worst == .critical ? AppSlot.alert : .borderFocused, .bold), titleStyle: Style(.titleFocused, .bold), symbols: sym)
    top.render(parts[0], &b)
    let inner = top.inner(parts[0])
    if alerts.isEmpty {
        b.write("nothing is wrong right now", x: inner.x, y: inner.y, maxWidth: inner.width, style: Style(AppSlot.ok, .bold))
    } else {
        Paragraph(alertLines(m, alerts)).render(inner, &b)
    }
    let items = incidentTimeline(m)
    let title =
        m.incidentStart.map { "Timeline since \($0.clockTime) (\(formatDuration(m.now.millis(since: $0), .compact)))" }
        ?? "Timeline (last 10 minutes, no incident)"
    let bottom = Block(title: Line(title), trailing: Line("e exports a bundle", Style(.dim)), symbols: sym)
    bottom.render(parts[1], &b)
    let inner2 = bottom.inner(parts[1])
    LogView(count: items.count) { i in
        let it = items[i]
        return Line([
            Span("\(it.at.clockTime) ", Style(.dim)),
            Span(it.text, Style(it.isOperator ? Slot.accent : logSlot(it.severity), it.isOperator || it.severity == .critical ? .bold : [])),
        ])
    }.render(inner2, &b)
}

/// The wall: one word in block letters, the nodes and what is wrong; the
/// incident layout by itself while an incident lasts.
func renderWall(_ m: AppModel, _ r: Rect, _ b: inout Buffer, _ sym: Symbols) {
    let status = wallStatus(m)
    let bannerHeight = r.height >= 24 ? BlockLetters.height + 2 : 3
    let parts = Layout.split(r, .vertical, [.fixed(bannerHeight), .fill(1)])
    let good = status == .ok
    b.fill(parts[0], with: Cell(" ", style: Style(good ? AppSlot.ok : AppSlot.alert, good ? [] : .reverse)))
    BlockLetters.draw(
        status.rawValue, in: parts[0], &b, style: Style(good ? AppSlot.ok : AppSlot.alert, good ? .bold : [.bold, .reverse]), symbols: sym)
    if status == .disconnected {
        // No old numbers shown as if they were live.
        let since = m.lastEventReceivedAt
        var lines: [Line] = [
            Line(
                since.map { "no data since \($0.clockTime), \(formatDuration(m.now.millis(since: $0), .compact)) ago" } ?? "no data received yet",
                Style(AppSlot.alert, .bold)),
            Line(""),
        ]
        for e in m.endpoints { lines.append(Line("\(e.name): \(endpointExplanation(e.status, now: m.now))", Style(.dim))) }
        Paragraph(lines, alignment: .center).render(parts[1].inset(by: 1), &b)
        return
    }
    if m.view == .incident {
        renderIncident(m, parts[1], &b, sym)
        return
    }
    let rows = Layout.split(parts[1], .vertical, [.percentage(60), .fill(1)])
    let cols = Layout.split(rows[0], .horizontal, [.percentage(55), .fill(1)])
    renderNodes(m, cols[0], &b, sym)
    renderReplication(m, cols[1], &b, sym)
    renderLog(m, rows[1], &b, sym)
}
