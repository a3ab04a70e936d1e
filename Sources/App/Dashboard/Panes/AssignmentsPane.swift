import ClusterProtocol
import ClusterState
import EventSources
import RenderCore

/// The partition assignment: its summary and each worker's share.
enum AssignmentsPane: PaneComponent {
    static let title = "Assignments"
    static let needs: SourceCapabilities = .assignments
    static let shows = "partition assignments"
    /// Two lines of summary and the header take three.
    static func visibleRows(inner: Int) -> Int { max(0, inner - 3) }
    static func rowCount(_ m: AppModel) -> Int { m.state.assignment?.sortedWorkers.count ?? 0 }

    /// Enter: every partition, in the partitions overlay.
    static func key(_ m: inout AppModel, _ action: Action) -> [Effect]? {
        guard action == .drill else { return nil }
        if m.state.assignment == nil { m.say("no assignment yet") } else { m.overlay = .partitions(PartitionsOverlay()) }
        return []
    }

    static func render(_ m: AppModel, _ r: Rect, _ b: inout Buffer, _ sym: Symbols) { renderAssignments(m, r, &b, sym) }
}

func renderAssignments(_ m: AppModel, _ r: Rect, _ b: inout Buffer, _ sym: Symbols) {
    if renderUnprovided(m, .assignments, r, &b, sym) { return }
    let s = m.state
    guard let a = s.assignment else {
        let block = paneBlock(m, .assignments, sym)
        block.render(r, &b)
        let inner = block.inner(r)
        let waiting =
            s.rebalance.map { "waiting: \($0.reason?.wire ?? "calculator") window \(formatDuration($0.windowMillis ?? 0, .words))" }
            ?? "no assignment published yet"
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
    var info = Line([
        Span(a.strategy.wire, Style(.normal, .bold)),
        Span("\(dot)\(reason.replacingUnderscores)\(dot)calc \(calc)", Style(.normal)),
    ])
    if let w = s.rebalance?.windowMillis, calc != "idle" { info.append("\(dot)window \(formatDuration(w, .words))") }
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
    // An engine that counts its workers' keys shows them: its
    // partitions carry no weight of their own.
    let keys = workers.compactMap { s.nodes[$0]?.info.engine?.keys }
    let showKeys = !keys.isEmpty
    let table = Table(
        columns: [
            Column("WORKER", .min(8)), Column("PARTS", .fixed(6), alignment: .right),
            Column(showKeys ? "KEYS" : "WEIGHT", .fixed(showKeys ? 10 : 8), alignment: .right), Column("MOVED", .fixed(6), alignment: .right),
        ],
        rowCount: workers.count, selectedStyle: Style(.selection, focused ? .reverse : []), symbols: sym
    ) { i in
        let w = workers[i]
        guard let load = a.workers[w] else { return [Line(w, Style(.dim))] }
        let gone = !present.contains(w)
        let weight =
            showKeys
            ? (s.nodes[w]?.info.engine?.keys.map { "\($0)" } ?? "?")
            : load.weight == load.weight.rounded()
                ? "\(Int(saturating: load.weight))" : String(Int(saturating: (load.weight * 10).rounded())).inserting(decimalAt: 1)
        return [
            Line(w, Style(gone ? AppSlot.alert : .normal)), Line("\(load.partitions)"), Line(weight),
            Line(load.movedIn > 0 ? "+\(load.movedIn)" : "0", Style(load.movedIn > 0 ? .accent : .dim)),
        ]
    }
    var state = tableState(m, .assignments, selected: focused ? m.row(.assignments) : nil)
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
