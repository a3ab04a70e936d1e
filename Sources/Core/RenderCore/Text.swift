/// A run of text in one style.
public struct Span: Sendable, Hashable {
    public var text: String
    public var style: Style

    public init(_ text: String, _ style: Style = .normal) {
        self.text = text
        self.style = style
    }

    /// Columns the text takes.
    public var width: Int { text.terminalWidth }
}

/// One line of styled spans.
public struct Line: Sendable, Hashable, ExpressibleByStringLiteral {
    public var spans: [Span]

    public init(_ spans: [Span]) { self.spans = spans }
    public init(_ text: String, _ style: Style = .normal) { self.spans = [Span(text, style)] }
    public init(stringLiteral value: String) { self.spans = [Span(value)] }

    public var width: Int { spans.reduce(0) { $0 + $1.width } }

    public mutating func append(_ span: Span) { spans.append(span) }
    public mutating func append(_ text: String, _ style: Style = .normal) { spans.append(Span(text, style)) }
}

/// Horizontal placement of text in its area.
public enum Alignment: Sendable, Hashable {
    case left, center, right
}

extension String {
    /// The text cut to `width` columns with an ellipsis, or padded with spaces to exactly `width`.
    public func fitted(to width: Int, alignment: Alignment = .left, ellipsis: Character = "…") -> String {
        guard width > 0 else { return "" }
        let w = terminalWidth
        if w <= width {
            let pad = width - w
            switch alignment {
            case .left: return self + String(repeating: " ", count: pad)
            case .right: return String(repeating: " ", count: pad) + self
            case .center:
                return String(repeating: " ", count: pad / 2) + self + String(repeating: " ", count: pad - pad / 2)
            }
        }
        var out = ""
        var used = 0
        for c in self {
            let cw = c.terminalWidth
            if used + cw > width - 1 { break }
            out.append(c)
            used += cw
        }
        out.append(ellipsis)
        used += 1
        if used < width { out += String(repeating: " ", count: width - used) }
        return out
    }
}
