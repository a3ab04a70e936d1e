import ClusterProtocol
import ClusterState
import EventSources
import RenderCore

/// The nodes: role, health, lag, when last heard, the engine's state.
enum NodesPane: PaneComponent {
    static let title = "Nodes"
    static let needs: SourceCapabilities = .roles
    static let shows = "nodes or roles"
    /// The header row takes one.
    static func visibleRows(inner: Int) -> Int { max(0, inner - 1) }
    static func rowCount(_ m: AppModel) -> Int { m.state.nodeIDs.count }

    /// Enter: the failover log, filtered to the selected node.
    static func key(_ m: inout AppModel, _ action: Action) -> [Effect]? {
        guard action == .drill, let node = m.nodeRows[safe: m.row(.nodes)] else { return nil }
        m.logFilterField = TextField(text: node.id)
        m.focus = .log
        m.logScroll = 0
        m.say("log filtered to \(node.id); Esc clears")
        return []
    }

    static func render(_ m: AppModel, _ r: Rect, _ b: inout Buffer, _ sym: Symbols) { renderNodes(m, r, &b, sym) }
}

func renderNodes(_ m: AppModel, _ r: Rect, _ b: inout Buffer, _ sym: Symbols) {
    if renderUnprovided(m, .nodes, r, &b, sym) { return }
    // Only the rows on screen are looked up (the cluster may have thousands).
    let ids = m.state.nodeIDs
    let records = m.state.nodes
    let q = m.state.quorum
    let trailing: Line
    if let e = m.state.engine, let quorum = e.quorum {
        // An engine of watchers that vote: how many see the primary, and the quorum.
        let seeing = e.witnesses ?? 0
        let ok = seeing >= quorum
        trailing = Line([
            Span(
                "\(m.engineRules.watchersWord) \(seeing)/\(e.watchersKnown ?? 0) see it, quorum \(quorum)",
                Style(ok ? AppSlot.ok : AppSlot.alert, ok ? [] : .bold))
        ])
    } else {
        trailing = Line([Span("quorum \(q.serviceable)/\(q.members)", Style(q.present ? AppSlot.ok : AppSlot.alert, q.present ? [] : .bold))])
    }
    let block = paneBlock(m, .nodes, trailing: trailing, sym)
    block.render(r, &b)
    let inner = block.inner(r)
    let now = m.now
    let thresholds = m.thresholds
    let focused = m.isFocused(.nodes)
    let bytes = m.state.lagInBytes
    let followers = m.state.followers
    let table = Table(
        // When space is short the last columns shrink first: STATE goes before LAG.
        columns: [
            Column("NODE", .min(8)), Column("ROLE", .fixed(9)), Column("HEALTH", .fixed(9)),
            Column("LAG", .fixed(bytes ? 9 : 6), alignment: .right), Column("HEARD", .fixed(6), alignment: .right), Column("STATE", .fill(1)),
        ], rowCount: ids.count, selectedStyle: Style(.selection, focused ? .reverse : []), symbols: sym
    ) { i in
        guard let n = records[ids[i]] else { return [Line(ids[i], Style(.dim))] }
        let (symbol, slot) = roleSymbol(n.info.role, sym)
        if let gone = n.departure {
            return [
                Line([Span("\(symbol) ", Style(slot)), Span(n.id, Style(.dim))]), Line("left", Style(.dim)),
                Line(gone.reason.wire.replacingUnderscores, Style(AppSlot.healthBad)),
                Line("-", Style(.dim)), Line(formatDuration(now.millis(since: gone.at), .compact), Style(.dim)), Line("-", Style(.dim)),
            ]
        }
        let health = n.info.health == .unhealthy ? "UNHEALTHY" : n.info.health.wire
        let heard = n.lastHeard.map { formatDuration(now.millis(since: $0), .compact) } ?? "-"
        let lag = n.info.role == .primary ? nil : n.info.lagMillis
        let lagCell: Line
        if bytes {
            let fig: (text: String, slot: Slot, critical: Bool) =
                n.info.role == .primary ? ("-", Slot.dim, false) : lagFigure(followers[n.id], thresholds)
            lagCell = Line(fig.text, Style(fig.slot, fig.critical ? .bold : []))
        } else {
            lagCell = Line(lagText(lag), Style(lagSlot(lag, thresholds)))
        }
        let stateCell: Line
        if let e = n.info.engine {
            // The engine's own words: its role, its state, its tags.
            var words: [String] = []
            if let shard = e.shard { words.append(shard) }
            if let role = e.role, !["leader", "replica", "master", "primary"].contains(role) { words.append(role.replacingUnderscores) }
            words.append(e.state ?? "?")
            if e.tag("nofailover") == "true", e.tag("replica_priority") == nil { words.append("nofailover") }
            if let p = e.tag("failover_priority") { words.append("prio \(p)") }
            if let p = e.tag("replica_priority") { words.append(p == "0" ? "never promoted" : "prio \(p)") }
            if e.pendingRestart { words.append("restart pending") }
            if let slots = e.tag("slots") { words.append("\(slots) slots") }
            let calm = (e.state == "running" || e.state == "streaming" || e.state == "connected" || e.state == "ok") && !e.pendingRestart
            stateCell = Line(words.joined(separator: " "), Style(calm ? .normal : AppSlot.lagWarn))
        } else {
            stateCell = Line(
                n.info.managerState.wire.replacingUnderscores, Style(n.info.managerState == .stable ? .normal : AppSlot.lagWarn))
        }
        return [
            Line([
                Span("\(symbol) ", Style(slot, .bold)),
                Span(n.id, Style(n.info.role == .primary ? AppSlot.rolePrimary : .normal, n.info.role == .primary ? .bold : [])),
            ]),
            Line(n.info.role.wire, Style(slot, n.info.role == .primary ? .bold : [])),
            Line(health, Style(healthSlot(n.info.health), n.info.health == .unhealthy ? .bold : [])),
            lagCell,
            Line(heard, Style(.dim)),
            stateCell,
        ]
    }
    var state = tableState(m, .nodes, selected: focused || !ids.isEmpty ? m.row(.nodes) : nil)
    if !focused { state.selected = nil }
    table.render(inner, &b, state: &state)
}
