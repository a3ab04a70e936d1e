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
