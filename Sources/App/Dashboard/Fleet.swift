import ClusterProtocol
import ClusterState
import EventSources
import RenderCore

/// `clusterdash --fleet`: every cluster of the config file and every one
/// found on NATS, one line each, each from its own live model (its own
/// feed, its own alerts), so one cluster's trouble never hides another's;
/// the worst first. Enter opens that cluster's dashboard (the same model,
/// already live); Esc there comes back.
public struct FleetModel: Sendable {
    /// The clusters, by name.
    public private(set) var names: [String] = []
    public var models: [String: AppModel] = [:]
    /// The cluster chosen by a key (nil: the first line, whichever it is).
    public var chosen: String?
    /// The cluster whose dashboard is open; nil on the fleet screen.
    public var opened: String?
    /// Where the clusters are looked for, and how that goes.
    public var discovery = "looking for clusters"
    public var now: Timestamp
    public var size = Size(width: 80, height: 24)
    /// The wall (`--wall --fleet`): a word in block letters for the worst
    /// cluster above the lines; no cluster is opened, only q quits (not
    /// even q with `noQuitKey`).
    public var wall = false
    public var noQuitKey = false

    public init(now: Timestamp) { self.now = now }

    /// Adds a cluster (a selection made stays on its cluster).
    public mutating func add(_ name: String, model: AppModel) {
        guard models[name] == nil else { return }
        models[name] = model
        names.append(name)
        names.sort(by: naturalLess)
    }

    /// The lines' order: critical clusters first, then those with a
    /// warning, then the rest, each by name.
    public var order: [String] {
        fleetOrder(names) { n in models[n].flatMap { currentAlerts($0).map(\.severity).max() } }
    }

    /// The chosen line's place in `order` (0: the first line).
    func selected(in order: [String]) -> Int {
        chosen.flatMap { c in models[c] != nil ? order.firstIndex(of: c) : nil } ?? 0
    }

    public var selectedName: String? {
        if let chosen, models[chosen] != nil { return chosen }
        return order.first
    }

    /// The selected line's place in `order`.
    public var selected: Int { selected(in: order) }

    public enum Action: Equatable {
        case none
        case open(String)
        case quit
    }

    /// A key on the fleet screen.
    public mutating func key(_ k: Key) -> Action {
        if wall { return !noQuitKey && (k == .char("q") || k == .ctrl("c")) ? .quit : .none }
        let o = order
        let at = selected
        func choose(_ i: Int) { chosen = o.indices.contains(i) ? o[i] : nil }
        switch k {
        case .char("j"), .down:
            choose(min(max(0, o.count - 1), at + 1))
        case .char("k"), .up:
            choose(max(0, at - 1))
        case .home, .char("g"):
            choose(0)
        case .end, .char("G"):
            choose(max(0, o.count - 1))
        case .enter:
            if let name = selectedName { return .open(name) }
        case .char("q"), .ctrl("c"):
            return .quit
        default:
            break
        }
        return .none
    }
}

/// `names` worst first: critical, then warning, then the rest, each by name.
func fleetOrder(_ names: [String], worst: (String) -> AlertSeverity?) -> [String] {
    func weight(_ s: AlertSeverity?) -> Int {
        switch s {
        case .critical?: 0
        case .warning?: 1
        default: 2
        }
    }
    let rank = Dictionary(uniqueKeysWithValues: names.map { ($0, weight(worst($0))) })
    return names.sorted { a, b in
        let (wa, wb) = (rank[a] ?? 2, rank[b] ?? 2)
        return wa != wb ? wa < wb : naturalLess(a, b)
    }
}

/// One cluster's line on the fleet screen.
public struct FleetRow: Sendable, Equatable {
    public var name: String
    public var engine: String
    public var primary: String
    public var nodes: String
    public var worst: AlertSeverity?
    public var alert: String
    public var age: String
    public var stale: Bool
    public var feed: String
}

public func fleetRow(_ name: String, _ m: AppModel) -> FleetRow {
    let s = m.state
    let primary: String
    if s.nodes.isEmpty {
        primary = "—"
    } else if s.isSplitBrain {
        primary = "SPLIT BRAIN \(s.splitBrainPrimaries.joined(separator: "+"))"
    } else if s.hasNoPrimary {
        primary = "NO PRIMARY"
    } else {
        primary = s.primaries.count > 1 ? "\(s.primaries.count) primaries" : s.primaries.first ?? "—"
    }
    // The data's age by the events' own time as well as their arrival: a
    // cluster whose publisher is gone shows its last event's age, not when
    // its history was read.
    let ages = [m.lastEventReceivedAt, s.lastEventAt].compactMap { $0.map { m.now.millis(since: $0) } }
    let age = ages.max()
    let present = s.nodes.values.filter(\.isPresent)
    let healthy = present.filter { $0.info.health == .healthy }.count
    let alerts = currentAlerts(m)
    let worst = alerts.map(\.severity).max()
    let top = alerts.filter { $0.severity == worst }.first
    let feed = m.endpoints.first.map { e in
        if case .live = e.status { return e.stats?.detail.map { "live, \($0)" } ?? "live" }
        if case .backingOff(_, _, let why) = e.status { return "retrying: \(why)" }
        if case .failed(let why) = e.status { return "failed: \(why)" }
        return e.status.label
    }
    return FleetRow(
        name: name, engine: s.engine?.name ?? (s.nodes.isEmpty ? "—" : "protocol v1"), primary: primary,
        nodes: s.nodes.isEmpty ? "—" : "\(healthy)/\(present.count) healthy", worst: worst,
        alert: top.map { "\($0.text)\(alerts.count > 1 ? " (+\(alerts.count - 1))" : "")" } ?? (s.nodes.isEmpty ? "no data yet" : "ok"),
        age: age.map { formatDuration($0, .compact) } ?? "none", stale: (age ?? .max) > 5_000,
        feed: feed ?? "connecting")
}

/// The fleet screen.
public func renderFleet(_ f: FleetModel, into b: inout Buffer, symbols: Symbols = .unicode) {
    b.ellipsis = symbols.ellipsis
    b.fill(b.area, with: .blank)
    guard b.area.width >= 40, b.area.height >= 5 else {
        b.write("too small for the fleet", x: b.area.x, y: b.area.y, maxWidth: b.area.width)
        return
    }
    var area = b.area
    // Every cluster's line once a frame (its alerts are the costly part);
    // the order and the selection come from them.
    let byName = Dictionary(uniqueKeysWithValues: f.names.map { ($0, fleetRow($0, f.models[$0] ?? AppModel(now: f.now))) })
    let order = fleetOrder(f.names) { byName[$0]?.worst }
    if f.wall, area.height >= 12 { area = renderFleetBanner(f, order, byName, area, &b, symbols) }
    b.fill(Rect(x: area.x, y: area.y, width: area.width, height: 1), with: Cell(" ", style: Style(AppSlot.headerBar)))
    var head = Line([Span(" clusterdash fleet  ", Style(AppSlot.headerBar, .bold))])
    let rows = order.compactMap { byName[$0] }
    let troubled = rows.filter { $0.worst == .critical }.count
    head.append(Span("\(rows.count) cluster\(rows.count == 1 ? "" : "s")  ", Style(AppSlot.headerBar)))
    if troubled > 0 { head.append(Span(" \(troubled) CRITICAL ", Style(AppSlot.alert, [.bold, .reverse]))) }
    _ = b.write(head, x: area.x, y: area.y, maxWidth: area.width - 10)
    b.write(" \(f.now.clockTime) ", x: area.x + area.width - 10, y: area.y, maxWidth: 10, style: Style(AppSlot.headerBar, .bold))

    // Columns: name, engine, primary, nodes, age, feed; the alert takes the rest.
    let widths = [16, 12, 18, 13, 7]
    let titles = ["CLUSTER", "ENGINE", "PRIMARY", "NODES", "AGE"]
    var x = area.x + 1
    let y0 = area.y + 2
    for (w, t) in zip(widths, titles) {
        b.write(t, x: x, y: y0, maxWidth: w, style: Style(.normal, .bold))
        x += w + 1
    }
    let alertX = x
    let alertWidth = max(10, area.x + area.width - alertX - 1)
    b.write("WORST ALERT · FEED", x: alertX, y: y0, maxWidth: alertWidth, style: Style(.normal, .bold))
    if rows.isEmpty {
        b.write(f.discovery, x: area.x + 1, y: y0 + 2, maxWidth: area.width - 2)
    }
    let visible = max(0, area.height - 5)
    let at = f.selected(in: order)
    let first = max(0, min(at - visible + 1, rows.count - visible))
    for (i, row) in rows.enumerated().dropFirst(first).prefix(visible) {
        let y = y0 + 1 + i - first
        let selected = i == at
        let base: Style = selected ? Style(.normal, .reverse) : Style(.normal)
        if selected { b.fill(Rect(x: area.x, y: y, width: area.width, height: 1), with: Cell(" ", style: base)) }
        let primaryStyle: Style =
            row.primary.hasPrefix("SPLIT") || row.primary.hasPrefix("NO ") ? Style(AppSlot.alert, .bold) : Style(AppSlot.rolePrimary)
        let alertStyle: Style =
            switch row.worst {
            case .critical: Style(AppSlot.alert, .bold)
            case .warning: Style(AppSlot.lagWarn)
            default: Style(AppSlot.ok)
            }
        let cells: [(String, Style)] = [
            (row.name, Style(.normal, .bold)), (row.engine, .normal), (row.primary, primaryStyle), (row.nodes, .normal),
            (row.age, row.stale ? Style(AppSlot.alert, .bold) : .normal),
        ]
        var cx = area.x + 1
        for ((text, style), w) in zip(cells, widths) {
            b.write(text, x: cx, y: y, maxWidth: w, style: selected ? style.reversed : style)
            cx += w + 1
        }
        let alert = "\(row.worst.map { "\($0.label) " } ?? "")\(row.alert) · \(row.feed)"
        b.write(alert, x: alertX, y: y, maxWidth: alertWidth, style: selected ? alertStyle.reversed : alertStyle)
    }
    let footer = Rect(x: area.x, y: area.y + area.height - 1, width: area.width, height: 1)
    b.fill(footer, with: Cell(" ", style: Style(AppSlot.statusBar)))
    let keys = f.wall ? (f.noQuitKey ? " wall: no key" : " wall: q quits") : " j/k move  Enter open (Esc comes back)  q quit"
    b.write(keys, x: area.x, y: footer.y, maxWidth: area.width, style: Style(AppSlot.statusBar))
}

/// The wall's banner over the fleet: the worst cluster's word in block
/// letters (OK when every one is), and which cluster it is; returns the
/// area left for the lines.
func renderFleetBanner(
    _ f: FleetModel, _ order: [String], _ rows: [String: FleetRow], _ area: Rect, _ b: inout Buffer, _ sym: Symbols
) -> Rect {
    let worst = order.lazy.compactMap { n in f.models[n].map { (n, wallStatus($0)) } }.first { $0.1 != .ok }
    let status = worst?.1 ?? .ok
    let good = status == .ok
    let height = BlockLetters.height + 3
    let banner = Rect(x: area.x, y: area.y, width: area.width, height: BlockLetters.height + 2)
    b.fill(banner, with: Cell(" ", style: Style(good ? AppSlot.ok : AppSlot.alert, good ? [] : .reverse)))
    BlockLetters.draw(
        status.rawValue, in: banner, &b, style: Style(good ? AppSlot.ok : AppSlot.alert, good ? .bold : [.bold, .reverse]), symbols: sym)
    let says =
        good
        ? "\(f.names.count) cluster\(f.names.count == 1 ? "" : "s"), all well"
        : worst.map { "\($0.0): \(rows[$0.0]?.alert ?? "")" } ?? ""
    b.write(says, x: area.x + 1, y: area.y + banner.height, maxWidth: area.width - 2, style: Style(good ? AppSlot.ok : AppSlot.alert, .bold))
    return Rect(x: area.x, y: area.y + height, width: area.width, height: area.height - height)
}
