/// One terminal cell.
public struct Cell: Sendable, Hashable {
    /// The character shown. A wide character sits in its first cell; the cell
    /// after it is a continuation (`width == 0`) that draws nothing itself.
    public var symbol: Character
    public var style: Style
    /// 1 for a normal cell, 2 for the first cell of a wide character, 0 for its continuation.
    public var width: UInt8

    public init(_ symbol: Character = " ", style: Style = .normal, width: UInt8 = 1) {
        self.symbol = symbol
        self.style = style
        self.width = width
    }

    public static let blank = Cell()

    public var isContinuation: Bool { width == 0 }
}

/// One cell that differs between two frames.
public struct CellChange: Sendable, Hashable {
    public var x: Int
    public var y: Int
    public var cell: Cell
}

/// A grid of cells that widgets draw into. Writes outside the grid are
/// dropped, never trapped; wide characters are never split; control
/// characters are replaced, so nothing written here can drive a terminal.
public struct Buffer: Sendable, Hashable {
    public private(set) var size: Size
    public private(set) var cells: [Cell]

    /// The character that marks truncated text.
    public var ellipsis: Character = "…"

    public init(size: Size, fill: Cell = .blank) {
        self.size = size
        self.cells = Array(repeating: fill, count: size.area)
    }

    public var area: Rect { Rect(size) }

    @inline(__always)
    func offset(_ x: Int, _ y: Int) -> Int? {
        guard x >= 0, y >= 0, x < size.width, y < size.height else { return nil }
        return y * size.width + x
    }

    public subscript(x: Int, y: Int) -> Cell {
        guard let i = offset(x, y) else { return .blank }
        return cells[i]
    }

    /// Resets every cell.
    public mutating func clear(_ cell: Cell = .blank) {
        for i in cells.indices { cells[i] = cell }
    }

    /// Resizes, keeping nothing (the next frame redraws everything).
    public mutating func resize(_ newSize: Size) {
        size = newSize
        cells = Array(repeating: .blank, count: newSize.area)
    }

    /// Sets one character, taking care of wide characters and their halves.
    /// Returns the columns used (0 when it did not fit or was off the grid).
    @discardableResult
    public mutating func set(_ x: Int, _ y: Int, _ ch: Character, _ style: Style = .normal, limit: Int? = nil) -> Int {
        guard let i = offset(x, y) else { return 0 }
        let right = min(limit ?? size.width, size.width)
        var ch = ch
        if ch.isTerminalControl { ch = "?" }
        let w = ch.terminalWidth
        if w == 2 && x + 1 >= right {
            // A wide character that does not fit: show a blank, never half of it.
            clearOverlap(at: i, x: x)
            cells[i] = Cell(" ", style: style, width: 1)
            return 1
        }
        clearOverlap(at: i, x: x)
        if w == 2 {
            clearOverlap(at: i + 1, x: x + 1)
            cells[i] = Cell(ch, style: style, width: 2)
            cells[i + 1] = Cell(" ", style: style, width: 0)
            return 2
        }
        cells[i] = Cell(ch, style: style, width: 1)
        return 1
    }

    /// Before overwriting cell `i`: if it is half of a wide character, blank the other half.
    @inline(__always)
    mutating func clearOverlap(at i: Int, x: Int) {
        let c = cells[i]
        if c.width == 0, x > 0 {
            cells[i - 1] = Cell(" ", style: cells[i - 1].style, width: 1)
        } else if c.width == 2, x + 1 < size.width {
            cells[i + 1] = Cell(" ", style: cells[i + 1].style, width: 1)
        }
    }

    /// Writes `text` from (`x`, `y`) in at most `maxWidth` columns. Text that
    /// does not fit ends with the ellipsis. Returns the columns written.
    @discardableResult
    public mutating func write(_ text: some StringProtocol, x: Int, y: Int, maxWidth: Int? = nil, style: Style = .normal)
        -> Int
    {
        guard y >= 0, y < size.height else { return 0 }
        let limitWidth = min(maxWidth ?? (size.width - x), size.width - x)
        guard limitWidth > 0 else { return 0 }
        let right = x + limitWidth
        // Fast check: does the whole text fit?
        var needed = 0
        var fits = true
        for c in text {
            needed += c.terminalWidth
            if needed > limitWidth {
                fits = false
                break
            }
        }
        var col = x
        if fits {
            for c in text {
                col += set(col, y, c, style, limit: right)
            }
            return col - x
        }
        // Truncate: leave one column for the ellipsis.
        let budget = limitWidth - 1
        for c in text {
            let w = c.terminalWidth
            if col - x + w > budget { break }
            col += set(col, y, c, style, limit: right)
        }
        col += set(col, y, ellipsis, style, limit: right)
        return col - x
    }

    /// Writes styled spans one after another in at most `maxWidth` columns,
    /// ending with the ellipsis when they do not fit. Returns the columns written.
    @discardableResult
    public mutating func write(_ line: Line, x: Int, y: Int, maxWidth: Int) -> Int {
        guard maxWidth > 0 else { return 0 }
        let right = x + maxWidth
        var col = x
        if line.width <= maxWidth {
            for span in line.spans {
                for c in span.text { col += set(col, y, c, span.style, limit: right) }
            }
            return col - x
        }
        let budget = maxWidth - 1
        var lastStyle = line.spans.first?.style ?? .normal
        outer: for span in line.spans {
            lastStyle = span.style
            for c in span.text {
                if col - x + c.terminalWidth > budget { break outer }
                col += set(col, y, c, span.style, limit: right)
            }
        }
        col += set(col, y, ellipsis, lastStyle, limit: right)
        return col - x
    }

    /// Fills a rectangle with one cell.
    public mutating func fill(_ rect: Rect, with cell: Cell = .blank) {
        let r = rect.intersection(area)
        guard !r.isEmpty else { return }
        for yy in r.y..<r.bottom {
            for xx in r.x..<r.right {
                if let i = offset(xx, yy) {
                    clearOverlap(at: i, x: xx)
                    cells[i] = cell
                }
            }
        }
    }

    /// Changes the style of every cell in a rectangle, keeping the characters.
    public mutating func setStyle(_ rect: Rect, _ style: Style) {
        let r = rect.intersection(area)
        guard !r.isEmpty else { return }
        for yy in r.y..<r.bottom {
            for xx in r.x..<r.right {
                if let i = offset(xx, yy) { cells[i].style = style }
            }
        }
    }

    /// Adds modifiers to every cell in a rectangle.
    public mutating func addModifiers(_ rect: Rect, _ m: Modifiers) {
        let r = rect.intersection(area)
        guard !r.isEmpty else { return }
        for yy in r.y..<r.bottom {
            for xx in r.x..<r.right {
                if let i = offset(xx, yy) { cells[i].style.modifiers.formUnion(m) }
            }
        }
    }

    /// The cells that differ from `previous`, row by row. A size change
    /// returns every cell. Continuations travel with their wide character.
    public func diff(from previous: Buffer) -> [CellChange] {
        var changes: [CellChange] = []
        if previous.size != size {
            changes.reserveCapacity(cells.count)
            for (i, c) in cells.enumerated() where !c.isContinuation {
                changes.append(CellChange(x: i % size.width, y: i / size.width, cell: c))
            }
            return changes
        }
        var i = 0
        let n = cells.count
        while i < n {
            let c = cells[i]
            if c != previous.cells[i] {
                if c.isContinuation {
                    // Its lead changed too (or was overwritten): emit the lead.
                    if i > 0, changes.last.map({ $0.y * size.width + $0.x }) != i - 1 {
                        changes.append(CellChange(x: (i - 1) % size.width, y: (i - 1) / size.width, cell: cells[i - 1]))
                    }
                } else {
                    changes.append(CellChange(x: i % size.width, y: i / size.width, cell: c))
                    // A narrow cell replacing a continuation needs no more; a wide
                    // one covers the next cell, which the loop will skip as a continuation.
                }
            }
            i += 1
        }
        return changes
    }

    /// Applies changes (e.g. from `diff`) to this buffer.
    public mutating func apply(_ changes: [CellChange]) {
        for ch in changes {
            if ch.cell.width == 2 {
                set(ch.x, ch.y, ch.cell.symbol, ch.cell.style)
            } else if let i = offset(ch.x, ch.y) {
                clearOverlap(at: i, x: ch.x)
                cells[i] = ch.cell
            }
        }
    }

    /// The screen as text, one string per row (continuation cells omitted,
    /// so a wide character is one character taking two columns).
    public func textLines() -> [String] {
        var lines: [String] = []
        lines.reserveCapacity(size.height)
        for y in 0..<size.height {
            var line = ""
            line.reserveCapacity(size.width)
            for x in 0..<size.width {
                let c = cells[y * size.width + x]
                if c.isContinuation { continue }
                line.append(c.symbol)
            }
            lines.append(line)
        }
        return lines
    }

    /// The screen as text, rows joined with newlines, trailing spaces kept.
    public var text: String { textLines().joined(separator: "\n") }

    /// A buffer made from text rows (for tests): each row padded to `width`.
    public static func lines(_ rows: [String], width: Int? = nil) -> Buffer {
        let w = width ?? rows.map(\.terminalWidth).max() ?? 0
        var b = Buffer(size: Size(width: w, height: rows.count))
        for (y, row) in rows.enumerated() {
            var x = 0
            for c in row {
                x += b.set(x, y, c)
            }
        }
        return b
    }
}
