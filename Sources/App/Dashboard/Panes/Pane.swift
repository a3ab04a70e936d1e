import ClusterProtocol
import ClusterState
import EventSources
import RenderCore

/// The panes, in focus order; each is a `PaneComponent`.
public enum Pane: Int, Sendable, Hashable, CaseIterable {
    case nodes, replication, assignments, migrations, log

    /// The component that is this pane: its title, needs, rows, keys and drawing.
    var component: any PaneComponent.Type {
        switch self {
        case .nodes: NodesPane.self
        case .replication: ReplicationPane.self
        case .assignments: AssignmentsPane.self
        case .migrations: MigrationsPane.self
        case .log: LogPane.self
        }
    }

    /// As the frame shows it (what tests look for).
    public var title: String { component.title }
}

/// One pane of the dashboard, everything about it in one place (ratatui's
/// StatefulWidget, the bubbles table): its title, what it needs of the
/// source, its rows and how many show, its own keys, and how it draws. The
/// body layout only places panes; `update` asks the focused pane.
protocol PaneComponent {
    static var title: String { get }
    /// What it needs of the source; without it, one calm line says so.
    static var needs: SourceCapabilities { get }
    /// What it shows, for that line ("replication lag").
    static var shows: String { get }
    /// Rows of its table that fit an inner height (the frame's inside).
    static func visibleRows(inner: Int) -> Int
    /// Rows of its table now: what the cursor keys move over.
    static func rowCount(_ m: AppModel) -> Int
    /// Its own keys while focused; nil: not its key (the table keys and the
    /// dashboard's apply).
    static func key(_ m: inout AppModel, _ action: Action) -> [Effect]?
    static func render(_ m: AppModel, _ r: Rect, _ b: inout Buffer, _ sym: Symbols)
}

extension PaneComponent {
    static func key(_ m: inout AppModel, _ action: Action) -> [Effect]? { nil }
}

/// How many rows of `pane`'s table are on screen (what scrolling keeps the
/// selection within).
public func visibleRows(_ m: AppModel, _ pane: Pane) -> Int {
    guard let r = BodyLayout(m, BodyLayout.body(m.size)).panes[pane] else { return 0 }
    return pane.component.visibleRows(inner: max(0, r.height - 2))
}

/// The table state of `pane` with its kept offset (ratatui's StatefulWidget):
/// scrolling up past the first page moves the selection, not the page.
func tableState(_ m: AppModel, _ pane: Pane, selected: Int?) -> TableState {
    TableState(selected: selected, offset: m.offsets[pane] ?? 0)
}

/// A pane whose data no source provides: its frame and one calm line
/// saying so (true), instead of an empty table that looks like an outage.
func renderUnprovided(_ m: AppModel, _ pane: Pane, _ r: Rect, _ b: inout Buffer, _ sym: Symbols) -> Bool {
    guard !m.capabilities.contains(pane.component.needs) else { return false }
    let block = paneBlock(m, pane, sym)
    block.render(r, &b)
    let inner = block.inner(r)
    b.write("this cluster's source reports no \(pane.component.shows)", x: inner.x, y: inner.y, maxWidth: inner.width, style: Style(.dim))
    return true
}

/// A pane's frame: its title, focused or not.
func paneBlock(_ m: AppModel, _ pane: Pane, trailing: Line? = nil, _ sym: Symbols) -> Block {
    let focused = m.isFocused(pane)
    return Block(
        title: Line(pane.title), trailing: trailing, borderStyle: Style(focused ? .borderFocused : .border, focused ? .bold : []),
        titleStyle: Style(focused ? .titleFocused : .title, .bold), symbols: sym)
}
