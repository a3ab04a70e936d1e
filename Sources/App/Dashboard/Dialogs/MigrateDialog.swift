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
    case (.nextField, .tenant) where !d.tenants.isEmpty: d.phase = .region
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
    let inner = openDialog("Migrate a tenant", r, &b, sym)
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
        rows.append(Line("1. Tenant (j/k, Enter):", Style(.title, .bold)))
        let first = max(0, min(d.tenantIndex - 5, d.tenants.count - 10))
        for (i, t) in d.tenants.enumerated().dropFirst(first).prefix(10) {
            rows.append(
                Line([
                    chooser(i == d.tenantIndex, sym), Span(t.fitted(to: 16), Style(.normal, i == d.tenantIndex ? .bold : [])),
                    Span(m.state.tenants[t] ?? "", Style(.dim)),
                ]))
        }
    case .region:
        rows.append(
            Line(
                typed.map { "2. Target \($0.targetWord) for \(tenant) (now on \(from)):" } ?? "2. Target region for \(tenant) (now in \(from)):",
                Style(.title, .bold))
        )
        for (i, region) in d.regions.enumerated() {
            let same = region == from
            rows.append(
                Line([
                    chooser(i == d.regionIndex, sym), Span(region, Style(same ? .dim : .normal, i == d.regionIndex ? .bold : [])),
                    Span(same ? "  (current)" : "", Style(.dim)),
                ]))
        }
    case .confirm:
        let target = d.regions[safe: d.regionIndex] ?? "?"
        rows.append(Line("3. Confirm", Style(.title, .bold)))
        rows.append(Line([Span("tenant  "), Span(tenant, Style(.normal, .bold))]))
        rows.append(Line([Span("from    "), Span(from)]))
        rows.append(Line([Span("to      "), Span(target, Style(.normal, .bold))]))
        rows.append(
            Line([
                Span("dry run "),
                Span(
                    d.dryRun
                        ? "yes: validate only, change nothing"
                        : "no: \(typed?.whileMoving ?? "writes pause during the move")",
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
