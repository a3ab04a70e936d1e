import ClusterProtocol
import ClusterState
import EngineKit
import RenderCore

/// The migration dialog: tenant, then target region, then confirm, then the
/// command's progress. A state machine as a value: nothing about the sent
/// command can be changed once it is sent.
public struct MigrateDialog: Sendable, Hashable {
    public enum Phase: Sendable, Hashable {
        case tenant, region, confirm
        case sent(CommandPhase)
    }

    public var tenants: [String]
    public var regions: [String]
    public var tenantIndex = 0
    public var regionIndex = 0
    public var dryRun = false
    public var phase: Phase = .tenant
    /// Set where the tenant is typed, not chosen: an engine whose tenants
    /// are named freely (`EngineRules.typedTenants`) has no list of them.
    public var entry: TextField?
    /// Where the tenant was when the command was sent (a finished move
    /// changes where it is).
    public var from: String?
    /// The tenants are named partitions and the regions placements (the
    /// engine's `namedMoves`: NATS streams and placement tags).
    public var named = false

    public init(tenants: [String], regions: [String]) {
        self.tenants = tenants
        self.regions = regions
    }

    /// A dialog whose tenant is typed (the engine's `typedTenants`) and whose
    /// targets are `masters`.
    public init(typedTenantTo masters: [String]) {
        tenants = []
        regions = masters
        entry = TextField(editing: true)
    }

    var isSent: Bool {
        if case .sent = phase { return true }
        return false
    }
}

/// The dialog of a named move (the engine's `namedMoves`): every named
/// partition, `selecting` chosen, to the engine's targets; nil (said why)
/// when there is nothing to move or nowhere to move it.
func namedMoveDialog(_ m: inout AppModel, selecting: String?) -> MigrateDialog? {
    guard let moves = m.engineRules.namedMoves else { return nil }
    let names = Set((m.state.assignment?.partitions ?? []).compactMap(\.name)).sorted(by: naturalLess)
    let targets = moves.targets(m.state)
    guard !names.isEmpty, !targets.isEmpty else {
        m.say(names.isEmpty ? "no \(moves.partitionWord) to move" : "no \(moves.targetWord) on any server: nowhere to move to")
        return nil
    }
    var d = MigrateDialog(tenants: names, regions: targets)
    d.named = true
    if let selecting, let i = names.firstIndex(of: selecting) {
        d.tenantIndex = i
        d.phase = .region
        // Start on the first target its leader does not carry.
        let leader = migrateFrom(m, d, selecting)
        d.regionIndex = targets.firstIndex { !leaderCarries(m, leader, $0) } ?? 0
    }
    return d
}

/// Whether `node` carries the target `tag` (where it is now, for a named move).
func leaderCarries(_ m: AppModel, _ node: String, _ tag: String) -> Bool {
    m.state.nodes[node]?.info.engine?.tags.contains { $0.key == tag } ?? false
}

/// The partition a typed tenant lives in (the engine's rule) and the node
/// that owns it now.
func typedTenantPlace(_ m: AppModel, _ tenant: String) -> (slot: Int, owner: String?)? {
    guard let slot = m.engineRules.typedTenants?.partition(tenant) else { return nil }
    let parts = m.state.assignment?.partitions ?? []
    let p = parts.indices.contains(slot) && parts[slot].id == Int64(slot) ? parts[slot] : parts.first { $0.id == Int64(slot) }
    return (slot, p?.worker)
}

/// Where the tenant is now: its placement, or its partition's owner.
func migrateFrom(_ m: AppModel, _ d: MigrateDialog, _ tenant: String) -> String {
    if d.entry != nil { return typedTenantPlace(m, tenant)?.owner ?? "?" }
    if d.named { return m.state.assignment?.partitions.first { $0.name == tenant }?.worker ?? "no leader" }
    return m.state.tenants[tenant] ?? "?"
}

/// Typing the tenant (nil: not typing).
func migrateTyping(_ m: inout AppModel, _ d: MigrateDialog, _ key: Key) -> [Effect]? {
    guard case .tenant = d.phase, var field = d.entry, field.editing else { return nil }
    var d = d
    switch field.handle(key, keymap: m.keymap) {
    case .cleared:
        m.overlay = nil
        return []
    case .committed:
        let text = field.text.trimmingWhitespace
        guard let place = typedTenantPlace(m, text) else {
            field.editing = true
            let typed = m.engineRules.typedTenants
            m.say(text.isEmpty ? typed?.hint ?? "type a tenant" : typed?.refusal(text) ?? "\(text) names no tenant")
            d.entry = field
            m.overlay = .migrate(d)
            return []
        }
        d.tenants = [text]
        d.tenantIndex = 0
        d.phase = .region
        // Start on the first master that is not the owner.
        d.regionIndex = d.regions.firstIndex { $0 != place.owner } ?? 0
    case .edited, .ignored:
        break
    }
    d.entry = field
    m.overlay = .migrate(d)
    return []
}

func performMigrate(_ m: inout AppModel, _ d: MigrateDialog, _ action: Action) -> [Effect] {
    var d = d
    switch (action, d.phase) {
    case (.dismiss, _):
        m.overlay = nil
        return []
    case (.down, .tenant): d.tenantIndex = min(max(0, d.tenants.count - 1), d.tenantIndex + 1)
    case (.down, .region): d.regionIndex = min(max(0, d.regions.count - 1), d.regionIndex + 1)
    case (.up, .tenant): d.tenantIndex = max(0, d.tenantIndex - 1)
    case (.up, .region): d.regionIndex = max(0, d.regionIndex - 1)
    case (.nextField, .tenant) where !d.tenants.isEmpty:
        d.phase = .region
        if d.named, let tenant = d.tenants[safe: d.tenantIndex] {
            let leader = migrateFrom(m, d, tenant)
            d.regionIndex = d.regions.firstIndex { !leaderCarries(m, leader, $0) } ?? 0
        }
    case (.nextField, .region) where !d.regions.isEmpty: d.phase = .confirm
    // Dry run can change until the command is sent, never after.
    case (.toggleDryRun, .tenant), (.toggleDryRun, .region), (.toggleDryRun, .confirm): d.dryRun.toggle()
    case (.confirm, .confirm):
        guard let tenant = d.tenants[safe: d.tenantIndex], let region = d.regions[safe: d.regionIndex] else { return [] }
        let id = m.nextRequestID()
        d.from = migrateFrom(m, d, tenant)
        d.phase = .sent(.sent(requestID: id))
        m.overlay = .migrate(d)
        m.say("migrate \(tenant) -> \(region)\(d.dryRun ? " (dry run)" : "") sent as \(id)")
        let action = OperatorAction(
            at: m.now, key: "m", target: tenant,
            dialog: ["tenant \(tenant)", "from \(migrateFrom(m, d, tenant))", "to \(region)", "dry run \(d.dryRun ? "yes" : "no")"],
            confirmation: "y", requestID: id, op: "migrate")
        record(&m, action)
        return [.send(.migrate(requestID: id, tenant: tenant, target: region, dryRun: d.dryRun)), .audit(.action(action))]
    default:
        return []
    }
    m.overlay = .migrate(d)
    return []
}

func renderMigrate(_ m: AppModel, _ d: MigrateDialog, _ area: Rect, _ b: inout Buffer, _ sym: Symbols) {
    let r = dialogRect(area, width: 64, height: 18)
    // Named partitions moved to a placement, in the engine's words.
    let moves = d.named ? m.engineRules.namedMoves : nil
    let inner = openDialog(moves.map { "Move a \($0.partitionWord)" } ?? "Migrate a tenant", r, &b, sym)
    var rows: [Line] = []
    let tenant = d.tenants[safe: d.tenantIndex] ?? "?"
    let from = d.from ?? migrateFrom(m, d, tenant)
    // Typed tenants, in the engine's words (nil: tenants chosen from a list, moved to a region).
    let typed = d.entry != nil ? m.engineRules.typedTenants : nil
    switch d.phase {
    case .sent(let command):
        rows.append(
            Line("migrate \(tenant) \(from) -> \(d.regions[safe: d.regionIndex] ?? "?")\(d.dryRun ? " (dry run)" : "")", Style(.normal, .bold)))
        rows.append(resultLine(command))
        rows += correlatedLines(m, command.requestID, limit: 8)
        rows.append(Line("progress shows in Migrations; Esc closes", Style(.dim)))
    case .tenant where typed != nil:
        let words = typed
        let text = d.entry?.text ?? ""
        rows.append(Line("1. Tenant: \(words?.what ?? "its name") (Enter):", Style(.title, .bold)))
        rows.append(Line([Span("> "), Span(d.entry?.shown ?? "", Style(.normal, .bold))]))
        if let place = typedTenantPlace(m, text), !text.trimmingWhitespace.isEmpty {
            rows.append(
                Line([
                    Span("\(words?.partitionWord ?? "partition") \(place.slot)", Style(.accent, .bold)),
                    Span(", now on \(place.owner ?? "no \(words?.targetWord ?? "node")")"),
                ]))
        } else {
            rows.append(Line(" ", Style(.dim)))
        }
        rows.append(Line(""))
        for line in words?.about ?? [] { rows.append(Line(line, Style(.dim))) }
    case .tenant:
        rows.append(Line("1. \(moves.map { $0.partitionWord.capitalizedFirst } ?? "Tenant") (j/k, Enter):", Style(.title, .bold)))
        let first = max(0, min(d.tenantIndex - 5, d.tenants.count - 10))
        for (i, t) in d.tenants.enumerated().dropFirst(first).prefix(10) {
            rows.append(
                Line([
                    chooser(i == d.tenantIndex, sym), Span(t.fitted(to: 16), Style(.normal, i == d.tenantIndex ? .bold : [])),
                    Span(moves != nil ? "led by \(migrateFrom(m, d, t))" : m.state.tenants[t] ?? "", Style(.dim)),
                ]))
        }
    case .region:
        rows.append(
            Line(
                moves.map { "2. \($0.targetWord.capitalizedFirst) for \(tenant) (led by \(from)):" }
                    ?? typed.map { "2. Target \($0.targetWord) for \(tenant) (now on \(from)):" }
                    ?? "2. Target region for \(tenant) (now in \(from)):",
                Style(.title, .bold))
        )
        for (i, region) in d.regions.enumerated() {
            let same = moves != nil ? leaderCarries(m, from, region) : region == from
            rows.append(
                Line([
                    chooser(i == d.regionIndex, sym), Span(region, Style(same ? .dim : .normal, i == d.regionIndex ? .bold : [])),
                    Span(same ? "  (current)" : "", Style(.dim)),
                ]))
        }
        if let moves {
            rows.append(Line(""))
            for line in moves.about { rows.append(Line(line, Style(.dim))) }
        }
    case .confirm:
        let target = d.regions[safe: d.regionIndex] ?? "?"
        rows.append(Line("3. Confirm", Style(.title, .bold)))
        rows.append(Line([Span(moves.map { $0.partitionWord.fitted(to: 8) } ?? "tenant  "), Span(tenant, Style(.normal, .bold))]))
        rows.append(Line([Span("from    "), Span(from)]))
        rows.append(Line([Span("to      "), Span(target, Style(.normal, .bold))]))
        rows.append(
            Line([
                Span("dry run "),
                Span(
                    d.dryRun
                        ? "yes: validate only, change nothing"
                        : "no: \(moves?.whileMoving ?? typed?.whileMoving ?? "writes pause during the move")",
                    Style(d.dryRun ? .normal : AppSlot.lagWarn, .bold)),
            ]))
        if target == from { rows.append(Line("the tenant is already there: the server will reject it", Style(AppSlot.alert, .bold))) }
        rows.append(Line(""))
        rows.append(
            Line([
                Span("y", Style(AppSlot.key, .bold)), Span(" sends  "), Span("d", Style(AppSlot.key, .bold)), Span(" dry run on/off  "),
                Span("Esc", Style(AppSlot.key, .bold)), Span(" cancels"),
            ]))
    }
    Paragraph(rows).render(inner, &b)
}

extension String {
    /// `Stream` for `stream`: a word starting a line.
    fileprivate var capitalizedFirst: String { prefix(1).uppercased() + dropFirst() }
}
