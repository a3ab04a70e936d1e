import RenderCore

/// Where everything of the dashboard screen goes: one layout for drawing
/// and for the scroll offsets `update` keeps.
struct BodyLayout {
    var notice: Rect?
    var panes: [Pane: Rect]

    init(_ m: AppModel, _ whole: Rect) {
        var r = whole
        let notice = connectionNoticeHeight(m, in: whole)
        if notice > 0 {
            let parts = Layout.split(whole, .vertical, [.fixed(notice), .fill(1)])
            self.notice = parts[0]
            r = parts[1]
        }
        let nodeRows = max(3, m.state.nodeIDs.count + 3)
        let rows = Layout.split(r, .vertical, [.fixed(min(nodeRows, max(5, r.height * 2 / 5))), .percentage(30), .fill(1)])
        let top = Layout.split(rows[0], .horizontal, [.percentage(55), .fill(1)])
        let middle = Layout.split(rows[1], .horizontal, [.percentage(50), .fill(1)])
        panes = [.nodes: top[0], .replication: top[1], .assignments: middle[0], .migrations: middle[1], .log: rows[2]]
    }

    /// The body of a screen of `size`: between the header and the status line.
    static func body(_ size: Size) -> Rect {
        Rect(x: 0, y: 1, width: size.width, height: max(0, size.height - 2))
    }
}
