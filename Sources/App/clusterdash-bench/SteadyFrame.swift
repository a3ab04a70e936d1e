import ClusterProtocol
import ClusterState
import Dashboard
import EventSources
import Foundation
import NcursesBackend
import RenderCore

#if canImport(Glibc)
    import Glibc
#endif

/// What the ncurses backend writes to a pseudo-terminal for a steady frame:
/// a 200x60 dashboard of a 100-node cluster where, each 33 ms frame, three
/// followers report a new lag and the clock moves on. The bytes are counted
/// on the pty's master side; the changed cells come from the frame diff.
///
/// "What the changed cells need" is the floor any terminal writer pays: the
/// UTF-8 bytes of each changed cell, one cursor address (`ESC [ row ; col H`,
/// its real length) per run of adjacent changed cells, and one colour and
/// attribute switch (`ESC [ 0 ; 1 ; 38;5;n m`, counted as 12 bytes) wherever
/// the style differs from the cell before it in the run.
enum SteadyFrame {
    struct Result {
        var bytesPerFrame: Double
        var changedCellsPerFrame: Double
        var neededBytesPerFrame: Double
        var firstFrameBytes: Int
        var frames: Int
    }

    enum Failure: Error, CustomStringConvertible {
        case openpty(Int32)
        case newterm
        var description: String {
            switch self {
            case .openpty(let e): return "openpty failed: errno \(e)"
            case .newterm: return "newterm refused the pseudo-terminal"
            }
        }
    }

    /// Counts what the backend is given, passing it on.
    struct Counting: TerminalBackend {
        var inner: NcursesBackend
        var lastChanges: [CellChange] = []
        var size: Size { inner.size }
        mutating func draw(_ changes: [CellChange]) {
            lastChanges = changes
            inner.draw(changes)
        }
        mutating func clear() { inner.clear() }
        mutating func flush() { inner.flush() }
    }

    /// Runs on the calling thread (every curses call happens on it).
    static func run(frames: Int, theme: Theme) throws -> Result {
        var master: Int32 = -1
        var slave: Int32 = -1
        var size = winsize(ws_row: 60, ws_col: 200, ws_xpixel: 0, ws_ypixel: 0)
        guard openpty(&master, &slave, nil, nil, &size) == 0 else { throw Failure.openpty(errno) }
        let drain = PtyDrain(master: master)
        defer {
            close(slave)
            close(master)
        }
        guard let backend = NcursesBackend(theme: theme, colorMode: .auto, type: "xterm-256color", inputFD: slave, outputFD: slave) else {
            throw Failure.newterm
        }
        var terminal = Terminal(backend: Counting(inner: backend), symbols: .unicode)
        defer { terminal.backend.inner.shutdown() }

        var model = FrameTime.model(nodes: 100, partitions: 10_000, logEntries: 10_000)
        _ = update(&model, .resize(terminal.backend.size))
        // Waits until the pty has been quiet for 15 ms; returns the bytes since `from`.
        func settle(from: Int) -> Int {
            var last = drain.count
            var quiet = 0
            while quiet < 15 {
                usleep(1_000)
                let now = drain.count
                if now == last { quiet += 1 } else { quiet = 0 }
                last = now
            }
            return last - from
        }
        _ = settle(from: 0)
        var mark = drain.count
        terminal.draw { b in render(model, into: &b) }
        let first = settle(from: mark)
        var seq: Int64 = 1_000_000
        var totalBytes = 0
        var totalCells = 0
        var totalNeed = 0
        for f in 0..<(frames + 5) {
            _ = update(&model, .tick(model.now.adding(millis: 33)))
            var items: [Received] = []
            for k in 0..<3 {
                let node = 2 + (f * 3 + k) % 20
                seq += 1
                items.append(
                    Received(
                        envelope: Envelope(
                            id: "steady-\(seq)", source: "node-\(node)", seq: seq, timestamp: model.now,
                            event: .replicationLag(
                                ReplicationLag(
                                    follower: "node-\(node)", leader: "node-1", lagMillis: Int64((f * 53 + k * 17) % 4_000), lagEntries: 3,
                                    walPosition: nil))),
                        endpoint: 0, receivedAt: model.now))
            }
            _ = update(&model, .batch(Batch(items: items, dropped: 0, backlog: 0), model.endpoints, at: model.now))
            mark = drain.count
            let m = model
            terminal.draw { b in render(m, into: &b) }
            let bytes = settle(from: mark)
            if f >= 5 {
                totalBytes += bytes
                totalCells += terminal.backend.lastChanges.count
                totalNeed += needed(terminal.backend.lastChanges)
            }
        }
        let n = Double(frames)
        return Result(
            bytesPerFrame: Double(totalBytes) / n, changedCellsPerFrame: Double(totalCells) / n,
            neededBytesPerFrame: Double(totalNeed) / n, firstFrameBytes: first, frames: frames)
    }

    /// The floor for writing `changes` (sorted by row, then column) to a
    /// terminal: each changed cell's UTF-8 bytes; for each run of adjacent
    /// changed cells the shortest absolute move to its start (`ESC [ col G`
    /// on the row of the run before, else `ESC [ row ; col H`); and, where
    /// the style differs from the last cell written, the shortest SGR
    /// sequence (`ESC [ 3 2 m`, 5 bytes).
    static func needed(_ changes: [CellChange]) -> Int {
        var bytes = 0
        var prev: CellChange?
        for c in changes {
            bytes += String(c.cell.symbol).utf8.count
            let adjacent = prev.map { $0.y == c.y && $0.x + Int(max(1, $0.cell.width)) == c.x } ?? false
            if !adjacent {
                bytes += prev?.y == c.y ? "\u{1B}[\(c.x + 1)G".utf8.count : "\u{1B}[\(c.y + 1);\(c.x + 1)H".utf8.count
            }
            if prev?.cell.style != c.cell.style { bytes += 5 }
            prev = c
        }
        return bytes
    }
}
