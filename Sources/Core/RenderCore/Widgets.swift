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
        bordered
            ? area.inset(by: 1) : Rect(x: area.x, y: area.y + (title == nil ? 0 : 1), width: area.width, height: area.height - (title == nil ? 0 : 1))
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
