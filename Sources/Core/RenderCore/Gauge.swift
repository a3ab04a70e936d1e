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
