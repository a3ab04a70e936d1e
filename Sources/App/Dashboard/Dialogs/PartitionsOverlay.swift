import ClusterProtocol
import ClusterState
import EventSources
import RenderCore

/// The partition table (Enter on Assignments): every partition, filterable.
public struct PartitionsOverlay: Sendable, Hashable {
    public var scroll: Int
    public var filter: TextField

    public init(scroll: Int = 0, filter: TextField = TextField()) {
        self.scroll = scroll
        self.filter = filter
    }
}

/// Partition rows of the drill-down, filtered by partition id, name or worker.
func partitionRows(_ m: AppModel, filter: String) -> [PartitionAssignment] {
    guard let a = m.state.assignment else { return [] }
    guard !filter.isEmpty else { return a.partitions }
    let needle = filter.lowercased()
    return a.partitions.filter {
        String($0.id) == needle || ($0.name?.lowercased().contains(needle) ?? false) || ($0.worker ?? "unassigned").lowercased().contains(needle)
    }
}

/// Typing into the filter (nil: not typing).
func partitionsTyping(_ m: inout AppModel, _ p: PartitionsOverlay, _ key: Key) -> [Effect]? {
    guard p.filter.editing else { return nil }
    var p = p
    if p.filter.handle(key, keymap: m.keymap) != .ignored { p.scroll = 0 }
    m.overlay = .partitions(p)
    return []
}

func performPartitions(_ m: inout AppModel, _ p: PartitionsOverlay, _ action: Action) -> [Effect] {
    var p = p
    let rows = partitionRows(m, filter: p.filter.text)
    let last = max(0, rows.count - 1)
    switch action {
    case .dismiss:
        m.overlay = nil
        return []
    case .promote, .migrate:
        actOnPartition(&m, rows[safe: min(p.scroll, last)], action)
        return []
    case .down: p.scroll = min(last, p.scroll + 1)
    case .up: p.scroll = max(0, p.scroll - 1)
    case .top: p.scroll = 0
    case .bottom: p.scroll = last
    case .pageDown: p.scroll = min(last, p.scroll + 20)
    case .pageUp: p.scroll = max(0, p.scroll - 20)
    case .filter:
        p.scroll = 0
        p.filter.editing = true
    default: return []
    }
    m.overlay = .partitions(p)
    return []
}

/// `p` or `m` on the selected row: its leader's step-down, or its move,
/// each behind its dialog, where the source takes it.
func actOnPartition(_ m: inout AppModel, _ row: PartitionAssignment?, _ action: Action) {
    let (needed, noun): (SourceCapabilities, String) = action == .promote ? (.stepDown, "partition leader step-down") : (.migrate, "partition move")
    if m.readOnly {
        m.say("read-only: commands are disabled")
    } else if m.rewind != nil {
        m.say("looking at the past: Esc returns to live first")
    } else if action == .migrate, m.capabilities.contains(.migrate), m.engineRules.namedMoves == nil {
        // Tenants move here, not partitions by name (Redis Cluster: a hash tag's slot).
        m.say("m moves a tenant from the dashboard: Esc, then m")
    } else if !m.capabilities.contains(needed) {
        m.say("this cluster's source accepts no \(noun)" + (m.engineRules.noCommandsNote.map { ": \($0)" } ?? ""))
    } else if let row {
        let name = row.name ?? "partition \(row.id)"
        if action == .promote {
            m.overlay = .stepDown(StepDownDialog(partition: row.id, name: name, leader: row.worker))
        } else if let dialog = namedMoveDialog(&m, selecting: name) {
            m.overlay = .migrate(dialog)
        }
    } else {
        m.say("no partition selected")
    }
}

func renderPartitions(_ m: AppModel, _ p: PartitionsOverlay, _ area: Rect, _ b: inout Buffer, _ sym: Symbols) {
    let filter = p.filter.text
    let rows = partitionRows(m, filter: filter)
    let r = dialogRect(area, width: 60, height: area.height)
    let version = m.state.assignment.map { "v\($0.version)" } ?? ""
    let movedCount = m.state.assignment?.movedPartitions.count ?? 0
    let inner = openDialog("Partitions \(version) (\(rows.count), \(movedCount) moved)", r, &b, sym)
    guard inner.height > 1 else { return }
    let filterLine =
        p.filter.editing
        ? "filter: \(p.filter.shown) (Enter keep, Esc clear)" : (filter.isEmpty ? partitionKeysHint(m) : "filter: \(filter)")
    b.write(filterLine, x: inner.x, y: inner.y, maxWidth: inner.width, style: Style(.accent))
    let present = m.state.presentNodeIDs
    // What changed since the previous version: the partitions that moved.
    let moved = m.state.assignment?.movedPartitions ?? []
    // An engine that names its partitions (NATS streams) shows the names.
    let named = rows.contains { $0.name != nil }
    let table = Table(
        columns: [
            named ? Column("PARTITION", .min(12)) : Column("PARTITION", .fixed(10), alignment: .right), Column("WORKER", .min(10)),
            Column("WEIGHT", .fixed(7), alignment: .right), Column("", .fixed(6)),
        ],
        rowCount: rows.count, symbols: sym
    ) { i in
        let p = rows[i]
        let worker = p.worker ?? "unassigned"
        let orphan = p.worker.map { !present.contains($0) } ?? true
        let changed = moved.contains(p.id)
        return [
            Line(p.name ?? "\(p.id)", Style(changed ? .accent : .normal, changed ? .bold : [])),
            Line(worker, Style(orphan ? AppSlot.alert : (changed ? .accent : .normal), orphan || changed ? .bold : [])),
            Line(p.weight == p.weight.rounded() ? "\(Int(saturating: p.weight))" : "\(p.weight)"),
            Line(changed ? "moved" : "", Style(.accent, .bold)),
        ]
    }
    var state = TableState(selected: rows.isEmpty ? nil : min(p.scroll, rows.count - 1))
    table.render(Rect(x: inner.x, y: inner.y + 1, width: inner.width, height: inner.height - 1), &b, state: &state)
}

/// The table's first line: the filter, and the partition keys the source takes.
func partitionKeysHint(_ m: AppModel) -> String {
    let caps = m.readOnly ? [] : m.capabilities
    var keys: [String] = []
    if caps.contains(.stepDown) { keys.append("p steps its leader down") }
    if caps.contains(.migrate), m.engineRules.namedMoves != nil { keys.append("m moves it") }
    return keys.isEmpty ? "/ filters by partition id or worker" : "/ filters, " + keys.joined(separator: ", ")
}
