import ClusterProtocol
import ClusterState
import EventSources
import RenderCore

func handleKey(_ m: inout AppModel, _ key: Key) -> [Effect] {
    // The wall has one key, q (none with --no-quit-key).
    if m.wall {
        return !m.noQuitKey && (key == .char("q") || key == .ctrl("c")) ? [.quit] : []
    }
    // Typing into a filter or the promotion override takes the key first.
    if m.logFilterField.editing, m.overlay == nil {
        _ = m.logFilterField.handle(key, keymap: m.keymap)
        m.logScroll = 0
        return []
    }
    switch m.overlay {
    case .partitions(let p):
        if let effects = partitionsTyping(&m, p, key) { return effects }
    case .promote(let d):
        if let effects = promoteTyping(&m, d, key) { return effects }
    case .migrate(let d):
        if let effects = migrateTyping(&m, d, key) { return effects }
    default:
        break
    }
    guard let action = m.keymap.action(for: key, in: m.context) else { return [] }
    return perform(&m, action)
}

func perform(_ m: inout AppModel, _ action: Action) -> [Effect] {
    switch m.overlay {
    case .help(let scroll):
        performHelp(&m, scroll: scroll, action)
        return []
    case .endpoints:
        if action == .dismiss { m.overlay = nil }
        return []
    case .partitions(let p):
        return performPartitions(&m, p, action)
    case .promote(let d):
        return performPromote(&m, d, action)
    case .migrate(let d):
        return performMigrate(&m, d, action)
    case .cancel(let d):
        return performCancel(&m, d, action)
    case .stepDown(let d):
        return performStepDown(&m, d, action)
    case nil:
        return performNormal(&m, action)
    }
}

func record(_ m: inout AppModel, _ action: OperatorAction) {
    m.operatorActions.append(action)
    if m.operatorActions.count > 1_000 { m.operatorActions.removeFirst(m.operatorActions.count - 1_000) }
}

func performNormal(_ m: inout AppModel, _ action: Action) -> [Effect] {
    if m.readOnly, m.keymap.isDangerous(action) {
        m.say("read-only: commands are disabled")
        return []
    }
    if let (needed, noun) = commandCapability(action), !m.capabilities.contains(needed) {
        m.say("this cluster's source accepts no \(noun)" + (m.engineRules.noCommandsNote.map { ": \($0)" } ?? ""))
        return []
    }
    if m.rewind != nil, m.keymap.isDangerous(action) {
        m.say("looking at the past: Esc returns to live first")
        return []
    }
    let pane = m.focus
    // The focused pane's own keys first.
    if let effects = pane.component.key(&m, action) { return effects }
    let count = pane.component.rowCount(m)
    func setRow(_ r: Int) {
        let row = max(0, min(max(0, count - 1), r))
        m.rows[pane] = row
        // The page moves only when the selection leaves it.
        var table = TableState(selected: row, offset: m.offsets[pane] ?? 0)
        table.scrollToSelection(visibleRows: visibleRows(m, pane), rowCount: count)
        m.offsets[pane] = table.offset
    }
    switch action {
    case .quit:
        return [.quit]
    case .help:
        m.overlay = .help(scroll: 0)
    case .focusNext:
        m.focus = Pane(rawValue: (pane.rawValue + 1) % Pane.allCases.count) ?? .nodes
    case .focusPrevious:
        m.focus = Pane(rawValue: (pane.rawValue + Pane.allCases.count - 1) % Pane.allCases.count) ?? .nodes
    case .down: setRow(m.row(pane) + 1)
    case .up: setRow(m.row(pane) - 1)
    case .top: setRow(0)
    case .bottom: setRow(count - 1)
    case .pageDown: setRow(m.row(pane) + 10)
    case .pageUp: setRow(m.row(pane) - 10)
    case .back:
        if m.rewind != nil {
            m.rewind = nil
            m.say("live")
        } else if m.view == .incident {
            m.view = .dashboard
        } else if !m.logFilter.isEmpty {
            m.logFilterField = TextField()
            m.say("filter cleared")
        }
    case .rewindBack, .rewindForward, .rewindBackMinute, .rewindForwardMinute:
        rewind(&m, action)
    case .replayPause, .replayFaster, .replaySlower, .replayStep:
        guard m.replay else {
            m.say("only when replaying a recording (clusterdash replay FILE)")
            return []
        }
        switch action {
        case .replayPause: return [.replay(.togglePause)]
        case .replayFaster: return [.replay(.faster)]
        case .replaySlower: return [.replay(.slower)]
        default: return [.replay(.step)]
        }
    case .endpoints:
        m.overlay = .endpoints
    case .nextCluster, .previousCluster:
        // The runtime takes them in the fleet; here there is no other cluster.
        m.say("one cluster here: > and < switch clusters in the fleet (--fleet)")
    case .incidentView:
        m.view = m.view == .incident ? .dashboard : .incident
    case .acknowledge:
        guard m.view == .incident else {
            m.say("a acknowledges from the incident view (i)")
            return []
        }
        return acknowledgeAlerts(&m)
    case .exportBundle:
        guard m.view == .incident else {
            m.say("e exports from the incident view (i)")
            return []
        }
        return [.exportBundle]
    case .filter:
        m.focus = .log
        m.logFilterField.editing = true
        m.logScroll = 0
    case .promote:
        let candidates = m.promotionCandidates
        guard !candidates.isEmpty else {
            m.say("no replica to promote")
            return []
        }
        // Start on the selected node when it is a candidate, else the first that passes.
        var selected = 0
        if pane == .nodes, let node = m.nodeRows[safe: m.row(.nodes)], let i = candidates.firstIndex(of: node.id) {
            selected = i
        } else if let i = candidates.firstIndex(where: { m.promotionVerdict($0).allowed }) {
            selected = i
        }
        m.overlay = .promote(PromoteDialog(candidates: candidates, selected: selected))
    case .migrate where m.engineRules.namedMoves != nil:
        // Named partitions moved to a placement (NATS streams by tag).
        if let d = namedMoveDialog(&m, selecting: nil) { m.overlay = .migrate(d) }
    case .migrate where m.engineRules.typedTenants != nil:
        // Tenants named freely (the engine's rule); the targets are the primaries.
        let masters = m.state.primaries.filter { m.state.nodes[$0]?.info.health == .healthy }
        guard !masters.isEmpty else {
            let words = m.engineRules.typedTenants
            m.say("no healthy \(words?.targetWord ?? "primary") to move a \(words?.partitionWord ?? "partition") to")
            return []
        }
        m.overlay = .migrate(MigrateDialog(typedTenantTo: masters))
    case .migrate:
        let tenants = m.state.tenants.keys.sorted(by: naturalLess)
        guard !tenants.isEmpty else {
            m.say("no tenants known")
            return []
        }
        var regions = Set(m.state.tenants.values)
        for n in m.state.nodes.values { if let r = n.info.region { regions.insert(r) } }
        m.overlay = .migrate(MigrateDialog(tenants: tenants, regions: regions.sorted()))
    case .cancelMigration:
        // The Migrations pane takes it when a migration is selected there.
        m.say("select a migration in the Migrations pane first")
    case .snapshot:
        m.say("snapshot requested")
        return m.endpoints.map { .requestSnapshot(endpoint: $0.name) }
    case .nextTheme:
        m.themeIndex = (m.themeIndex + 1) % max(1, m.themes.count)
        m.say("theme: \(m.themeName)")
        return [.selectTheme(m.themeName)]
    default:
        break
    }
    return []
}

/// The capability a command key needs of the source, and what it is called.
func commandCapability(_ action: Action) -> (SourceCapabilities, String)? {
    switch action {
    case .promote: (.promote, "promotion")
    case .migrate: (.migrate, "migration")
    case .cancelMigration: (.cancelMigration, "cancellation")
    default: nil
    }
}

extension AppModel {
    /// Command keys that cannot be used now: none in read-only mode, and
    /// none the source does not accept. The status line leaves them out.
    var unusableCommands: Set<Action> {
        keymap.dangerousActions.filter { a in readOnly || commandCapability(a).map { !capabilities.contains($0.0) } ?? false }
    }
}
