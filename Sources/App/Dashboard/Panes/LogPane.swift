import ClusterProtocol
import ClusterState
import EventSources
import RenderCore

func logSlot(_ s: LogSeverity) -> Slot {
    switch s {
    case .info: AppSlot.logInfo
    case .notice: AppSlot.logNotice
    case .warning: AppSlot.logWarning
    case .critical: AppSlot.logCritical
    }
}

/// The failover log: newest at the bottom, following the tail unless
/// scrolled; its cursor keys scroll (the newest is 0).
enum LogPane: PaneComponent {
    static let title = "Failover log"
    static let needs: SourceCapabilities = .roles
    static let shows = "nodes or roles"
    static func visibleRows(inner: Int) -> Int { inner }
    static func rowCount(_ m: AppModel) -> Int { m.visibleLog.count }

    static func key(_ m: inout AppModel, _ action: Action) -> [Effect]? {
        let last = max(0, rowCount(m) - 1)
        switch action {
        case .down: m.logScroll = max(0, m.logScroll - 1)
        case .up: m.logScroll = min(last, m.logScroll + 1)
        case .top: m.logScroll = last
        case .bottom: m.logScroll = 0
        case .pageDown: m.logScroll = max(0, m.logScroll - 10)
        case .pageUp: m.logScroll = min(last, m.logScroll + 10)
        default: return nil
        }
        return []
    }

    static func render(_ m: AppModel, _ r: Rect, _ b: inout Buffer, _ sym: Symbols) { renderLog(m, r, &b, sym) }
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
        b.write(
            m.logFilter.isEmpty ? "nothing yet" : "nothing matches \"\(m.logFilter)\"", x: inner.x, y: inner.y, maxWidth: inner.width,
            style: Style(.dim))
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
