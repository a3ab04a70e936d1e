// MARK: Table

/// One column of a table.
public struct Column: Sendable, Hashable {
    public var title: String
    public var width: Constraint
    public var alignment: Alignment

    public init(_ title: String, _ width: Constraint, alignment: Alignment = .left) {
        self.title = title
        self.width = width
        self.alignment = alignment
    }
}

/// Selection and scroll of a table, kept by the caller between frames.
public struct TableState: Sendable, Hashable {
    public var selected: Int?
    public var offset: Int

    public init(selected: Int? = nil, offset: Int = 0) {
        self.selected = selected
        self.offset = offset
    }

    /// Moves `offset` so the selection is visible in `visibleRows` rows.
    public mutating func scrollToSelection(visibleRows: Int, rowCount: Int) {
        guard visibleRows > 0 else { return }
        if let s = selected {
            let sel = min(max(0, s), max(0, rowCount - 1))
            selected = rowCount == 0 ? nil : sel
            if sel < offset { offset = sel }
            if sel >= offset + visibleRows { offset = sel - visibleRows + 1 }
        }
        offset = min(max(0, offset), max(0, rowCount - visibleRows))
    }
}

/// A table that asks for rows only as they are drawn: cost depends on the
/// visible rows, not on how many rows there are.
public struct Table: Sendable {
    public var columns: [Column]
    public var rowCount: Int
    /// The cells of row `i`, one line per column.
    public var row: @Sendable (Int) -> [Line]
    public var headerStyle: Style
    public var selectedStyle: Style
    public var showHeader: Bool
    public var symbols: Symbols

    public init(
        columns: [Column], rowCount: Int, headerStyle: Style = Style(.header, .bold),
        selectedStyle: Style = Style(.selection, .reverse), showHeader: Bool = true, symbols: Symbols = .unicode,
        row: @escaping @Sendable (Int) -> [Line]
    ) {
        self.columns = columns
        self.rowCount = max(0, rowCount)
        self.row = row
        self.headerStyle = headerStyle
        self.selectedStyle = selectedStyle
        self.showHeader = showHeader
        self.symbols = symbols
    }

    /// Rows that fit under the header in `area`.
    public func visibleRows(in area: Rect) -> Int {
        max(0, area.height - (showHeader ? 1 : 0))
    }

    public func render(_ area: Rect, _ buffer: inout Buffer, state: inout TableState) {
        let a = area.intersection(buffer.area)
        guard !a.isEmpty else { return }
        let visible = visibleRows(in: a)
        state.scrollToSelection(visibleRows: visible, rowCount: rowCount)
        let needsScrollbar = rowCount > visible && a.width > 4
        let tableWidth = needsScrollbar ? a.width - 1 : a.width
        let widths = Layout.sizes(length: tableWidth, columns.map(\.width), spacing: 1)
        var xs: [Int] = []
        var x = a.x
        for w in widths {
            xs.append(x)
            x += w + 1
        }
        var y = a.y
        if showHeader {
            for (i, col) in columns.enumerated() where widths[i] > 0 {
                buffer.write(
                    col.title.fitted(to: widths[i], alignment: col.alignment, ellipsis: symbols.ellipsis), x: xs[i], y: y, maxWidth: widths[i],
                    style: headerStyle)
            }
            y += 1
        }
        let first = state.offset
        let last = min(rowCount, first + visible)
        if first < last {
            for r in first..<last {
                let cells = row(r)
                let selected = state.selected == r
                for (i, col) in columns.enumerated() where widths[i] > 0 && i < cells.count {
                    let line = cells[i]
                    let w = line.width
                    var cx = xs[i]
                    if w < widths[i] {
                        switch col.alignment {
                        case .left: break
                        case .right: cx += widths[i] - w
                        case .center: cx += (widths[i] - w) / 2
                        }
                    }
                    buffer.write(line, x: cx, y: y, maxWidth: xs[i] + widths[i] - cx)
                }
                if selected {
                    buffer.addModifiers(Rect(x: a.x, y: y, width: tableWidth, height: 1), selectedStyle.modifiers)
                }
                y += 1
            }
        }
        if needsScrollbar, visible > 0 {
            // A one-cell thumb showing where the view sits in the rows.
            let pos = rowCount <= visible ? 0 : state.offset * (visible - 1) / max(1, rowCount - visible)
            let top = a.y + (showHeader ? 1 : 0)
            buffer.set(a.right - 1, top + pos, symbols.scrollMarker, Style(.dim))
        }
    }
}
