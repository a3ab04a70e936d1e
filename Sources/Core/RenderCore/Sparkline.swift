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
                // Clamped before the conversion: a value over the peak (or a
                // peak near zero) must not make a number Int cannot hold.
                let ratio = min(1, clean / peak)
                level = min(levels - 1, Int((ratio * Double(levels - 1)).rounded()))
            }
            buffer.set(x, y, symbols.bars[level], styleFor?(clean) ?? style)
            x += 1
        }
    }
}
