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

/// The Nodes pane's rows: the state's order, or, where the engine says who
/// replicates from whom (`upstream`, MySQL's chains), that tree depth first:
/// each source followed by its replicas, one level deeper. A node whose
/// source is not listed, and any loop, starts a tree of its own.
func nodeTree(_ s: ClusterState) -> [(id: String, depth: Int)] {
    let ids = s.nodeIDs
    // Engines that tell a tree have tens of nodes; the simulator's thousands never pay for this.
    guard s.engine != nil, ids.contains(where: { s.nodes[$0]?.info.engine?.upstream != nil }) else { return ids.map { ($0, 0) } }
    let known = Set(ids)
    var children: [String: [String]] = [:]
    var roots: [String] = []
    for id in ids {
        if let up = s.nodes[id]?.info.engine?.upstream, up != id, known.contains(up) {
            children[up, default: []].append(id)
        } else {
            roots.append(id)
        }
    }
    var out: [(id: String, depth: Int)] = []
    var seen = Set<String>()
    func visit(_ id: String, _ depth: Int) {
        guard seen.insert(id).inserted else { return }
        out.append((id, depth))
        for c in children[id] ?? [] { visit(c, min(depth + 1, 8)) }
    }
    for r in roots { visit(r, 0) }
    for id in ids where !seen.contains(id) { visit(id, 0) }
    return out
}

func renderNodes(_ m: AppModel, _ r: Rect, _ b: inout Buffer, _ sym: Symbols) {
    if renderUnprovided(m, .nodes, r, &b, sym) { return }
    // Only the rows on screen are looked up (the cluster may have thousands).
    let tree = nodeTree(m.state)
    let ids = tree.map(\.id)
    let records = m.state.nodes
    let q = m.state.quorum
    let trailing: Line
    if let e = m.state.engine, let quorum = e.quorum {
        // An engine of watchers that vote: how many see the primary, and the quorum.
        let seeing = e.witnesses ?? 0
        let ok = seeing >= quorum
        trailing = Line([
            Span(
                m.engineRules.quorumWords(seeing: seeing, known: e.watchersKnown ?? 0, quorum: quorum),
                Style(ok ? AppSlot.ok : AppSlot.alert, ok ? [] : .bold))
        ])
    } else if m.engineRules.decidesByMajority {
        trailing = Line([Span("quorum \(q.serviceable)/\(q.members)", Style(q.present ? AppSlot.ok : AppSlot.alert, q.present ? [] : .bold))])
    } else {
        // No majority decides here: how many are well, no alarm.
        let all = q.serviceable == q.members
        trailing = Line([Span("healthy \(q.serviceable)/\(q.members)", Style(all ? AppSlot.ok : AppSlot.lagWarn))])
    }
    let block = paneBlock(m, .nodes, trailing: trailing, sym)
    block.render(r, &b)
    let inner = block.inner(r)
    let now = m.now
    let thresholds = m.thresholds
    let focused = m.isFocused(.nodes)
    let counted = m.state.lagCounted
    let unit = m.state.lagCountUnit
    let followers = m.state.followers
    let table = Table(
        // When space is short the last columns shrink first: STATE goes before LAG.
        columns: [
            Column("NODE", .min(8)), Column("ROLE", .fixed(9)), Column("HEALTH", .fixed(9)),
            Column("LAG", .fixed(counted ? 9 : 6), alignment: .right), Column("HEARD", .fixed(6), alignment: .right), Column("STATE", .fill(1)),
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
        if counted {
            let fig: (text: String, slot: Slot, critical: Bool) =
                n.info.role == .primary ? ("-", Slot.dim, false) : lagFigure(followers[n.id], unit: unit, thresholds)
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
            if let position = e.position { words.append("at \(position)") }
            let calm = (e.state == "running" || e.state == "streaming" || e.state == "connected" || e.state == "ok") && !e.pendingRestart
            stateCell = Line(words.joined(separator: " "), Style(calm ? .normal : AppSlot.lagWarn))
        } else {
            stateCell = Line(
                n.info.managerState.wire.replacingUnderscores, Style(n.info.managerState == .stable ? .normal : AppSlot.lagWarn))
        }
        // A replica under its source: indented, with a branch.
        let depth = tree[i].depth
        let branch = depth == 0 ? "" : String(repeating: " ", count: 2 * (depth - 1)) + "\(sym.bottomLeft)\(sym.horizontal)"
        return [
            Line([
                Span("\(symbol) ", Style(slot, .bold)), Span(branch, Style(.dim)),
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
