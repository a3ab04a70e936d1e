/// What a terminal backend does: draw changed cells, and say how big it is.
/// The ncurses backend and the in-memory `TestBackend` both conform; views
/// never talk to either, they draw into a `Buffer`.
public protocol TerminalBackend {
    var size: Size { get }
    mutating func draw(_ changes: [CellChange])
    mutating func clear()
    mutating func flush()
}

/// A backend that keeps the screen in memory, for tests and benchmarks.
public struct TestBackend: TerminalBackend, Sendable {
    public private(set) var screen: Buffer
    /// Cells drawn over the backend's life, and the number of flushes.
    public private(set) var cellsDrawn = 0
    public private(set) var flushes = 0

    public init(width: Int, height: Int) {
        screen = Buffer(size: Size(width: width, height: height))
    }

    public var size: Size { screen.size }

    public mutating func resize(width: Int, height: Int) {
        screen.resize(Size(width: width, height: height))
    }

    public mutating func draw(_ changes: [CellChange]) {
        screen.apply(changes)
        cellsDrawn += changes.count
    }

    public mutating func clear() { screen.clear() }
    public mutating func flush() { flushes += 1 }
}

/// Double buffering: draw a whole frame into a buffer, send only what changed.
public struct Terminal<Backend: TerminalBackend> {
    public var backend: Backend
    private var current: Buffer
    private var previous: Buffer
    public var symbols: Symbols

    public init(backend: Backend, symbols: Symbols = .unicode) {
        self.backend = backend
        self.symbols = symbols
        current = Buffer(size: backend.size)
        previous = Buffer(size: .zero)
    }

    /// Renders one frame with `body` and flushes the difference. Returns the
    /// number of cells sent to the backend.
    @discardableResult
    public mutating func draw(_ body: (inout Buffer) -> Void) -> Int {
        let size = backend.size
        if current.size != size {
            current.resize(size)
        } else {
            current.clear()
        }
        if previous.size != size {
            // First frame, a resize or an invalidation: start from a blank screen.
            previous = Buffer(size: .zero)
            backend.clear()
        }
        current.ellipsis = symbols.ellipsis
        body(&current)
        let changes = current.diff(from: previous)
        backend.draw(changes)
        backend.flush()
        swap(&current, &previous)
        return changes.count
    }

    /// Forgets the last frame, so the next draw sends every cell (after the
    /// screen was disturbed, e.g. by a resize or Ctrl-L).
    public mutating func invalidate() {
        previous = Buffer(size: .zero)
    }
}
