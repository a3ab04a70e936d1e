import RenderCore
import Testing

@Suite struct TerminalTests {
    @Test func onlyChangedCellsReachTheBackend() {
        var t = Terminal(backend: TestBackend(width: 10, height: 2))
        let first = t.draw { b in b.write("count: 1", x: 0, y: 0) }
        #expect(first == 20)  // first frame: everything
        let second = t.draw { b in b.write("count: 2", x: 0, y: 0) }
        #expect(second == 1)
        let third = t.draw { b in b.write("count: 2", x: 0, y: 0) }
        #expect(third == 0)
        #expect(t.backend.screen.textLines() == ["count: 2  ", "          "])
        #expect(t.backend.flushes == 3)
    }

    @Test func resizeRedrawsEverything() {
        var t = Terminal(backend: TestBackend(width: 10, height: 2))
        t.draw { b in b.write("x", x: 0, y: 0) }
        t.backend.resize(width: 4, height: 1)
        let n = t.draw { b in b.write("y", x: 0, y: 0) }
        #expect(n == 4)
        #expect(t.backend.screen.textLines() == ["y   "])
    }
}
