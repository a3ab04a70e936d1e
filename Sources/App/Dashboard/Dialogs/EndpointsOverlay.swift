import ClusterProtocol
import ClusterState
import EventSources
import RenderCore

/// `E`: every endpoint with what it is doing (live, stale with age, backing
/// off with the next try and why, unauthorized, failed) and what it
/// delivered: frames, undecodable frames, connections, the last seq, the
/// snapshots asked of it.
func renderEndpoints(_ m: AppModel, _ area: Rect, _ b: inout Buffer, _ sym: Symbols) {
    let r = dialogRect(area, width: max(60, area.width - 8), height: min(area.height, m.endpoints.count * 3 + 3))
    let inner = openDialog("Endpoints (\(m.liveEndpoints)/\(m.endpoints.count) live)", r, &b, sym)
    guard inner.height > 0 else { return }
    var rows: [Line] = []
    if m.endpoints.isEmpty { rows.append(Line("no endpoints", Style(.dim))) }
    for (i, e) in m.endpoints.enumerated() {
        let live = e.status.isLive
        var counters = Line([Span(inner.width < 100 ? compactEndpointName(e.name) : e.name, Style(.normal, .bold))])
        if let s = e.stats {
            let errors = Span("  errors \(s.decodeErrors)", Style(s.decodeErrors > 0 ? AppSlot.alert : .normal, s.decodeErrors > 0 ? .bold : []))
            counters.append(Span("  frames \(s.frames)"))
            counters.append(errors)
            counters.append(Span("  conn \(s.connections)"))
            counters.append(Span("  last \(s.lastSeq.map { "\(s.lastSource ?? "?") #\($0)" } ?? "-")", Style(.dim)))
        }
        counters.append(Span("  resyncs \(m.feed.resyncsByEndpoint[i] ?? 0)"))
        rows.append(counters)
        var state = Line([Span("  "), Span(endpointExplanation(e.status, now: m.now), Style(live ? AppSlot.ok : AppSlot.alert, live ? [] : .bold))])
        if let detail = e.stats?.detail { state.append(Span("  · \(detail)", Style(.dim))) }
        if let warning = e.stats?.warning { state.append(Span("  · \(warning)", Style(AppSlot.alert, .bold))) }
        rows.append(state)
        rows.append(Line(""))
    }
    Paragraph(rows).render(inner, &b)
}
