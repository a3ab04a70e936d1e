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
