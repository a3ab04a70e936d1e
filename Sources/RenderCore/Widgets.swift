/// Something that draws itself into an area of a buffer and knows nothing else.
public protocol Widget {
    func render(_ area: Rect, _ buffer: inout Buffer)
}

// MARK: Block

/// A border with a title; `inner(_:)` is where the content goes.
public struct Block: Widget, Sendable {
    public var title: Line?
    /// Text at the right end of the top border (e.g. a count or a mode).
    public var trailing: Line?
    public var borderStyle: Style
    public var titleStyle: Style
    public var bordered: Bool
    public var symbols: Symbols

    public init(
        title: Line? = nil, trailing: Line? = nil, borderStyle: Style = Style(.border),
        titleStyle: Style = Style(.title, .bold), bordered: Bool = true, symbols: Symbols = .unicode
    ) {
        self.title = title
        self.trailing = trailing
        self.borderStyle = borderStyle
        self.titleStyle = titleStyle
        self.bordered = bordered
        self.symbols = symbols
    }

    public func inner(_ area: Rect) -> Rect {
        bordered ? area.inset(by: 1) : Rect(x: area.x, y: area.y + (title == nil ? 0 : 1), width: area.width, height: area.height - (title == nil ? 0 : 1))
    }

    public func render(_ area: Rect, _ buffer: inout Buffer) {
        let a = area.intersection(buffer.area)
        guard !a.isEmpty else { return }
        if bordered, a.width >= 2, a.height >= 2 {
            for x in (a.x + 1)..<(a.right - 1) {
                buffer.set(x, a.y, symbols.horizontal, borderStyle)
                buffer.set(x, a.bottom - 1, symbols.horizontal, borderStyle)
            }
            for y in (a.y + 1)..<(a.bottom - 1) {
                buffer.set(a.x, y, symbols.vertical, borderStyle)
                buffer.set(a.right - 1, y, symbols.vertical, borderStyle)
            }
            buffer.set(a.x, a.y, symbols.topLeft, borderStyle)
            buffer.set(a.right - 1, a.y, symbols.topRight, borderStyle)
            buffer.set(a.x, a.bottom - 1, symbols.bottomLeft, borderStyle)
            buffer.set(a.right - 1, a.bottom - 1, symbols.bottomRight, borderStyle)
        }
        let titleLeft = a.x + (bordered ? 1 : 0)
        let titleRoom = a.width - (bordered ? 2 : 0)
        var used = 0
        if let title, titleRoom > 2 {
            var t = Line([Span(" ", titleStyle)])
            for s in title.spans { t.append(Span(s.text, s.style == .normal ? titleStyle : s.style)) }
            t.append(" ", titleStyle)
            used = buffer.write(t, x: titleLeft, y: a.y, maxWidth: titleRoom)
        }
        if let trailing, titleRoom - used > trailing.width + 3 {
            var t = Line([Span(" ", borderStyle)])
            t.spans += trailing.spans
            t.append(" ", borderStyle)
            let w = t.width
            buffer.write(t, x: titleLeft + titleRoom - w, y: a.y, maxWidth: w)
        }
    }
}

// MARK: Paragraph

/// Lines of text, cut with an ellipsis where too long, optionally scrolled.
public struct Paragraph: Widget, Sendable {
    public var lines: [Line]
    public var alignment: Alignment
    /// Lines skipped at the top.
    public var scroll: Int
    /// Wrap long lines at word boundaries instead of cutting them.
    public var wrap: Bool

    public init(_ lines: [Line], alignment: Alignment = .left, scroll: Int = 0, wrap: Bool = false) {
        self.lines = lines
        self.alignment = alignment
        self.scroll = scroll
        self.wrap = wrap
    }

    public func render(_ area: Rect, _ buffer: inout Buffer) {
        let a = area.intersection(buffer.area)
        guard !a.isEmpty else { return }
        let shown = wrap ? lines.flatMap { Paragraph.wrap($0, width: a.width) } : lines
        var y = a.y
        for line in shown.dropFirst(max(0, scroll)) {
            guard y < a.bottom else { break }
            let w = min(line.width, a.width)
            let x: Int
            switch alignment {
            case .left: x = a.x
            case .center: x = a.x + (a.width - w) / 2
            case .right: x = a.x + a.width - w
            }
            buffer.write(line, x: x, y: y, maxWidth: a.right - x)
            y += 1
        }
    }

    /// Splits a line into lines of at most `width` columns, breaking at spaces where possible.
    public static func wrap(_ line: Line, width: Int) -> [Line] {
        guard width > 0, line.width > width else { return [line] }
        var out: [Line] = []
        var current = Line([])
        var col = 0
        for span in line.spans {
            var word = ""
            func flushWord() {
                let w = word.terminalWidth
                if col + w > width, col > 0 {
                    out.append(current)
                    current = Line([])
                    col = 0
                    if word.hasPrefix(" ") { word.removeFirst() }
                }
                // A word longer than the line is cut into pieces.
                while word.terminalWidth > width {
                    var piece = ""
                    var pw = 0
                    var rest = Substring(word)
                    while let c = rest.first, pw + c.terminalWidth <= width - col {
                        piece.append(c)
                        pw += c.terminalWidth
                        rest.removeFirst()
                    }
                    if piece.isEmpty, let c = rest.first {
                        piece.append(c)
                        rest.removeFirst()
                    }
                    current.append(piece, span.style)
                    out.append(current)
                    current = Line([])
                    col = 0
                    word = String(rest)
                }
                if !word.isEmpty {
                    current.append(word, span.style)
                    col += word.terminalWidth
                }
                word = ""
            }
            for c in span.text {
                if c == " " && !word.isEmpty && word != " " { flushWord() }
                word.append(c)
            }
            flushWord()
        }
        if !current.spans.isEmpty { out.append(current) }
        return out
    }
}

// MARK: Gauge

/// A progress bar with a label in the middle.
public struct Gauge: Widget, Sendable {
    public var ratio: Double
    public var label: String?
    public var filledStyle: Style
    public var emptyStyle: Style
    public var symbols: Symbols

    public init(
        ratio: Double, label: String? = nil, filledStyle: Style = Style(.accent), emptyStyle: Style = Style(.dim),
        symbols: Symbols = .unicode
    ) {
        self.ratio = ratio.isFinite ? min(1, max(0, ratio)) : 0
        self.label = label
        self.filledStyle = filledStyle
        self.emptyStyle = emptyStyle
        self.symbols = symbols
    }

    public func render(_ area: Rect, _ buffer: inout Buffer) {
        let a = area.intersection(buffer.area)
        guard !a.isEmpty else { return }
        let filled = Int((ratio * Double(a.width)).rounded(.down))
        let text = label ?? "\(Int((ratio * 100).rounded(.down)))%"
        let tw = text.terminalWidth
        let labelStart = tw <= a.width ? a.x + (a.width - tw) / 2 : a.right
        let labelChars = Array(text)
        var li = 0
        let y = a.y + a.height / 2
        var x = a.x
        while x < a.right {
            let isFilled = x - a.x < filled
            if x >= labelStart, li < labelChars.count {
                let c = labelChars[li]
                li += 1
                x += max(1, buffer.set(x, y, c, (isFilled ? filledStyle : emptyStyle).adding(isFilled ? .reverse : []), limit: a.right))
                continue
            }
            buffer.set(x, y, isFilled ? symbols.gaugeFilled : symbols.gaugeEmpty, isFilled ? filledStyle : emptyStyle)
            x += 1
        }
    }
}

// MARK: Sparkline

/// The recent values of a series as a row of bars, newest on the right.
public struct Sparkline: Widget, Sendable {
    public var values: [Double]
    /// The value drawn as a full bar; defaults to the largest shown.
    public var maximum: Double?
    public var style: Style
    /// Optional per-value style (e.g. colour by threshold).
    public var styleFor: (@Sendable (Double) -> Style)?
    public var symbols: Symbols

    public init(
        values: [Double], maximum: Double? = nil, style: Style = .normal,
        styleFor: (@Sendable (Double) -> Style)? = nil, symbols: Symbols = .unicode
    ) {
        self.values = values
        self.maximum = maximum
        self.style = style
        self.styleFor = styleFor
        self.symbols = symbols
    }

    public func render(_ area: Rect, _ buffer: inout Buffer) {
        let a = area.intersection(buffer.area)
        guard !a.isEmpty, !symbols.bars.isEmpty else { return }
        let shown = values.suffix(a.width)
        let peak = maximum ?? shown.max() ?? 0
        let levels = symbols.bars.count
        var x = a.right - shown.count
        let y = a.y + a.height - 1
        for v in shown {
            let clean = v.isFinite ? max(0, v) : 0
            let level: Int
            if peak <= 0 {
                level = 0
            } else {
                level = min(levels - 1, Int((clean / peak * Double(levels - 1)).rounded()))
            }
            buffer.set(x, y, symbols.bars[level], styleFor?(clean) ?? style)
            x += 1
        }
    }
}

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
                buffer.write(col.title.fitted(to: widths[i], alignment: col.alignment, ellipsis: symbols.ellipsis), x: xs[i], y: y, maxWidth: widths[i], style: headerStyle)
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

// MARK: LogView

/// The tail of a long log: follows the newest line, or stays where the user scrolled.
public struct LogView: Sendable {
    public var count: Int
    /// Line `i` (0 = oldest).
    public var line: @Sendable (Int) -> Line
    /// Lines scrolled up from the bottom; 0 follows the newest.
    public var scrollBack: Int

    public init(count: Int, scrollBack: Int = 0, line: @escaping @Sendable (Int) -> Line) {
        self.count = max(0, count)
        self.scrollBack = max(0, scrollBack)
        self.line = line
    }

    public func render(_ area: Rect, _ buffer: inout Buffer) {
        let a = area.intersection(buffer.area)
        guard !a.isEmpty, count > 0 else { return }
        let back = min(scrollBack, max(0, count - a.height))
        let end = count - back
        let start = max(0, end - a.height)
        var y = a.y
        for i in start..<end {
            buffer.write(line(i), x: a.x, y: y, maxWidth: a.width)
            y += 1
        }
    }
}
