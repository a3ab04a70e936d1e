import ClusterProtocol
import ClusterState
import EventSources
import RenderCore

/// What an endpoint is doing, as a sentence an operator can act on: why the
/// last attempt failed and when the next one is.
public func endpointExplanation(_ status: EndpointStatus, now: Timestamp) -> String {
    func inTime(_ at: Timestamp) -> String {
        let ms = at.millis(since: now)
        return ms <= 0 ? "retrying now" : "next try in \(formatDuration(ms, .compact))"
    }
    switch status {
    case .connecting(let attempt, let last):
        guard attempt > 1 else { return "connecting" }
        return "connecting (attempt \(attempt)\(last.map { "; last: \($0)" } ?? ""))"
    case .live(_, let last):
        return "live, last frame \(formatDuration(now.millis(since: last), .compact)) ago"
    case .stale(let last):
        return "stale: nothing heard for \(formatDuration(now.millis(since: last), .compact)); reconnecting"
    case .backingOff(let until, let attempt, let reason):
        return "\(reason); \(inTime(until)) (attempt \(attempt + 1))"
    case .unauthorized(let at):
        return "401 unauthorized: token missing or rejected; \(inTime(at))"
    case .failed(let reason):
        return "failed: \(reason) (not retried)"
    }
}

extension AppModel {
    /// Nothing is live: the main screen says why, endpoint by endpoint.
    public var needsConnectionNotice: Bool { !replay && !endpoints.isEmpty && liveEndpoints == 0 }
}

/// The rows the connection notice takes at the top of the body (0: none).
func connectionNoticeHeight(_ m: AppModel, in r: Rect) -> Int {
    guard m.needsConnectionNotice else { return 0 }
    return min(m.endpoints.count + 2, max(3, r.height / 3))
}

/// A bordered band: "Not connected", and for each endpoint its name, why and
/// the next try. Shown whenever nothing is live, above the (old) panes.
func renderConnectionNotice(_ m: AppModel, _ r: Rect, _ b: inout Buffer, _ sym: Symbols) {
    let since = m.lastEventReceivedAt.map { "no data for \(formatDuration(m.now.millis(since: $0), .compact))" } ?? "no data yet"
    let block = Block(
        title: Line("Not connected"), trailing: Line(since), borderStyle: Style(AppSlot.alert, .bold),
        titleStyle: Style(AppSlot.alert, .bold), symbols: sym)
    block.render(r, &b)
    let inner = block.inner(r)
    // Narrow: host and port only, so that the reason and the next try fit.
    let names = m.endpoints.map { inner.width < 100 ? compactEndpointName($0.name) : $0.name }
    let nameWidth = min(names.map(\.terminalWidth).max() ?? 0, max(10, inner.width / 2))
    for (i, e) in m.endpoints.prefix(inner.height).enumerated() {
        var line = Line([Span(padded(names[i], nameWidth), Style(.normal, .bold))])
        line.append(Span("  " + endpointExplanation(e.status, now: m.now), Style(AppSlot.alert)))
        b.write(line, x: inner.x, y: inner.y + i, maxWidth: inner.width)
    }
}

private func padded(_ s: String, _ width: Int) -> String {
    let w = s.terminalWidth
    return w >= width ? s : s + String(repeating: " ", count: width - w)
}

/// `wss://gw-a.prod:7400/v1/stream` -> `gw-a.prod:7400` (the path only when
/// it is not the protocol's).
func compactEndpointName(_ name: String) -> String {
    guard let schemeEnd = name.range(of: "://") else { return name }
    let rest = name[schemeEnd.upperBound...]
    guard let slash = rest.firstIndex(of: "/") else { return String(rest) }
    let path = rest[slash...]
    return path == "/v1/stream" ? String(rest[..<slash]) : String(rest)
}
