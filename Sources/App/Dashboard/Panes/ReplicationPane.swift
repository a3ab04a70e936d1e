import ClusterProtocol
import ClusterState
import EventSources
import RenderCore

/// Each follower's lag, with its history.
enum ReplicationPane: PaneComponent {
    static let title = "Replication"
    static let needs: SourceCapabilities = .lag
    static let shows = "replication lag"
    static func visibleRows(inner: Int) -> Int { inner }
    static func rowCount(_ m: AppModel) -> Int { m.state.followers.count }
    static func render(_ m: AppModel, _ r: Rect, _ b: inout Buffer, _ sym: Symbols) { renderReplication(m, r, &b, sym) }
}

func renderReplication(_ m: AppModel, _ r: Rect, _ b: inout Buffer, _ sym: Symbols) {
    if renderUnprovided(m, .replication, r, &b, sym) { return }
    let ids = m.state.followerIDs
    let t = m.thresholds
    let unit = m.state.lagCountUnit
    let counted = t.countLimits(unit)
    let limits =
        m.state.lagCounted
        ? "\(unit) behind  warn >\(formatLagCount(counted.warn, unit: unit)) crit >\(formatLagCount(counted.crit, unit: unit))"
        : "warn >\(formatDuration(t.lagWarnMillis, .compactMillis)) crit >\(formatDuration(t.lagCritMillis, .compactMillis))"
    let block = paneBlock(m, .replication, trailing: Line(limits, Style(.dim)), sym)
    block.render(r, &b)
    let inner = block.inner(r)
    guard !inner.isEmpty else { return }
    if ids.isEmpty {
        b.write("no followers reporting yet", x: inner.x, y: inner.y, maxWidth: inner.width, style: Style(.dim))
        return
    }
    let focused = m.isFocused(.replication)
    let nameWidth = min(max(10, inner.width / 3), max(6, m.state.followerNameWidth))
    let valueWidth = 12
    // Engines that tell the age of a replica's last ACK, or its time
    // behind, get it labelled beside the count: it is time, not data behind.
    let ackWidth = ids.contains { m.state.nodes[$0]?.info.engine?.ackAgeMillis != nil } ? 9 : 0
    // (dropped where the pane is too narrow to keep the names readable).
    let timeWidth = inner.width >= 50 && ids.contains { m.state.nodes[$0]?.info.engine?.timeBehind != nil } ? 13 : 0
    let sparkWidth = max(0, inner.width - nameWidth - valueWidth - ackWidth - timeWidth - 2)
    var state = tableState(m, .replication, selected: focused ? m.row(.replication) : nil)
    state.scrollToSelection(visibleRows: inner.height, rowCount: ids.count)
    let thresholds = m.thresholds
    for (k, i) in (state.offset..<min(ids.count, state.offset + inner.height)).enumerated() {
        guard let f = m.state.followers[ids[i]] else { continue }
        let y = inner.y + k
        b.write(f.follower, x: inner.x, y: y, maxWidth: nameWidth, style: Style(.normal, state.selected == i ? .reverse : []))
        let values = f.history.map { Double($0.value) }
        let counted = f.unit == .counted
        let floor = counted ? Double(thresholds.countLimits(unit).warn) / 4 : Double(thresholds.lagWarnMillis) / 4
        let maxValue = max(floor, values.max() ?? 0)
        Sparkline(
            values: values, maximum: maxValue,
            styleFor: { v in
                Style(counted ? countedLagSlot(Int64(saturating: v), unit: unit, thresholds) : lagSlot(Int64(saturating: v), thresholds))
            },
            symbols: sym
        )
        .render(Rect(x: inner.x + nameWidth + 1, y: y, width: sparkWidth, height: 1), &b)
        let value: Line
        if let gone = m.state.nodes[ids[i]]?.departure {
            // A replica that left (crashed, removed) has no lag now: its
            // last figure would look live. Why it went, and how long ago.
            let word = gone.reason == .crashed ? "CRASHED" : gone.reason == .heartbeatExpired ? "LOST" : "LEFT"
            value = Line("\(word) \(formatDuration(m.now.millis(since: gone.at), .compact))", Style(AppSlot.lagCrit, .bold))
        } else if !f.isConnected {
            let since = f.statusSince.map { formatDuration(m.now.millis(since: $0), .compact) } ?? "?"
            value = Line("DISC \(since)", Style(AppSlot.lagCrit, .bold))
        } else {
            let fig = lagFigure(f, unit: unit, thresholds)
            value = Line(fig.text, Style(fig.slot, fig.critical ? .bold : []))
        }
        let vw = min(valueWidth, value.width)
        b.write(value, x: inner.right - vw, y: y, maxWidth: vw)
        if ackWidth > 0, let ack = m.state.nodes[ids[i]]?.info.engine?.ackAgeMillis {
            let text = "ack \(ack / 1000)s"
            let slot: Slot = ack >= 5_000 ? AppSlot.lagWarn : .dim
            b.write(text, x: inner.right - valueWidth - ackWidth + 1, y: y, maxWidth: ackWidth - 1, style: Style(slot))
        }
        if timeWidth > 0, let engine = m.state.nodes[ids[i]]?.info.engine, let time = engine.timeBehind {
            // "time 3s", or "time unknown" (MySQL's NULL): never a false 0.
            let millis = time == .measured ? engine.timeBehindMillis : nil
            // A figure in whole seconds (MySQL's) is written so, not "3.0s".
            let text = millis.map { "time " + ($0 % 1_000 == 0 && $0 < 120_000 ? "\($0 / 1_000)s" : formatDuration($0, .compact)) } ?? "time unknown"
            let x = inner.right - valueWidth - ackWidth - timeWidth + 1
            b.write(text, x: x, y: y, maxWidth: timeWidth - 1, style: Style(millis == nil ? AppSlot.lagWarn : lagSlot(millis, thresholds)))
        }
    }
}
