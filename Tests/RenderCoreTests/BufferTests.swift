import RenderCore
import Testing

@Suite struct BufferTests {
    @Test func writeAndDump() {
        var b = Buffer(size: Size(width: 8, height: 2))
        #expect(b.write("hello", x: 1, y: 0) == 5)
        #expect(b.textLines() == [" hello  ", "        "])
    }

    @Test func truncationEndsWithEllipsis() {
        var b = Buffer(size: Size(width: 10, height: 1))
        #expect(b.write("abcdefghijkl", x: 0, y: 0, maxWidth: 6) == 6)
        #expect(b.textLines() == ["abcde…    "])
        var c = Buffer(size: Size(width: 4, height: 1))
        c.write("abcdef", x: 0, y: 0)
        #expect(c.textLines() == ["abc…"])
        // Exactly fitting text is not cut.
        var d = Buffer(size: Size(width: 4, height: 1))
        d.write("abcd", x: 0, y: 0)
        #expect(d.textLines() == ["abcd"])
    }

    @Test func wideCharactersTakeTwoCellsAndNeverSplit() {
        var b = Buffer(size: Size(width: 6, height: 1))
        #expect(b.write("中文", x: 0, y: 0) == 4)
        #expect(b[0, 0].width == 2)
        #expect(b[1, 0].isContinuation)
        #expect(b.textLines() == ["中文  "])
        // A wide character that would cross the edge becomes a blank.
        var c = Buffer(size: Size(width: 3, height: 1))
        c.set(2, 0, "中")
        #expect(c.textLines() == ["   "])
        #expect(!c[2, 0].isContinuation)
        // Truncation counts columns, not characters.
        var d = Buffer(size: Size(width: 6, height: 1))
        d.write("中文字符", x: 0, y: 0)
        #expect(d.textLines() == ["中文… "])
        #expect(d.textLines()[0].terminalWidth == 6)
        // Emoji are wide too.
        var e = Buffer(size: Size(width: 4, height: 1))
        e.write("🔥x", x: 0, y: 0)
        #expect(e.textLines() == ["🔥x "])
    }

    @Test func overwritingHalfAWideCharacterClearsTheOtherHalf() {
        var b = Buffer(size: Size(width: 4, height: 1))
        b.write("中文", x: 0, y: 0)
        b.set(1, 0, "x")  // lands on the continuation of 中
        #expect(b.textLines() == [" x文"])
        b.set(2, 0, "y")  // lands on the lead of 文
        #expect(b.textLines() == [" xy "])
        #expect(!b[3, 0].isContinuation)
    }

    @Test func controlCharactersNeverReachTheScreen() {
        var b = Buffer(size: Size(width: 6, height: 1))
        b.write("a\u{1B}[2Jb", x: 0, y: 0)
        #expect(b.textLines() == ["a?[2Jb"])
        #expect(!b.cells.contains { $0.symbol.isTerminalControl })
    }

    @Test func zeroSizeAndOutOfBoundsAreHarmless() {
        var z = Buffer(size: .zero)
        #expect(z.write("abc", x: 0, y: 0) == 0)
        z.fill(Rect(x: -5, y: -5, width: 100, height: 100), with: Cell("x"))
        #expect(z.textLines() == [])
        var b = Buffer(size: Size(width: 3, height: 1))
        #expect(b.write("abc", x: 5, y: 0) == 0)
        #expect(b.write("abc", x: 0, y: 9) == 0)
        #expect(b.write("abc", x: -2, y: 0) == 0)
        #expect(b.set(-1, 0, "x") == 0)
        #expect(b.write("abc", x: 0, y: 0, maxWidth: 0) == 0)
        #expect(b.write("abc", x: 0, y: 0, maxWidth: -3) == 0)
        #expect(b[99, 99] == .blank)
        #expect(b.textLines() == ["   "])
    }

    @Test func diffFindsOnlyChangedCells() {
        var a = Buffer(size: Size(width: 5, height: 2))
        a.write("hello", x: 0, y: 0)
        var b = a
        b.write("J", x: 0, y: 0)
        b.write("!", x: 4, y: 1)
        let d = b.diff(from: a)
        #expect(d.map { "\($0.x),\($0.y),\($0.cell.symbol)" } == ["0,0,J", "4,1,!"])
        // Style-only change is a change.
        var c = b
        c.setStyle(Rect(x: 1, y: 0, width: 1, height: 1), Style(.accent))
        #expect(c.diff(from: b).count == 1)
        // Size change: every cell.
        #expect(Buffer(size: Size(width: 2, height: 2)).diff(from: a).count == 4)
        // Applying a diff reproduces the new frame.
        var replay = a
        replay.apply(d)
        #expect(replay == b)
    }

    @Test func diffKeepsWideCharactersWhole() {
        var a = Buffer(size: Size(width: 6, height: 1))
        a.write("abcdef", x: 0, y: 0)
        var b = a
        b.write("中", x: 2, y: 0)
        let d = b.diff(from: a)
        #expect(d.count == 1)
        #expect(d.first?.cell.symbol == "中")
        var replay = a
        replay.apply(d)
        #expect(replay.textLines() == b.textLines())
        // And back: narrow cells replacing a wide one.
        let back = a.diff(from: b)
        var undo = b
        undo.apply(back)
        #expect(undo.textLines() == a.textLines())
    }

    @Test func linesOfSpans() {
        var b = Buffer(size: Size(width: 10, height: 1))
        let line = Line([Span("ab", Style(.accent)), Span("cdef"), Span("ghij", Style(.dim))])
        b.write(line, x: 0, y: 0, maxWidth: 7)
        #expect(b.textLines() == ["abcdef…   "])
        #expect(b[0, 0].style.slot == .accent)
        #expect(b[6, 0].style.slot == .dim)
    }

    @Test func fittedText() {
        #expect("abc".fitted(to: 5) == "abc  ")
        #expect("abc".fitted(to: 5, alignment: .right) == "  abc")
        #expect("abc".fitted(to: 6, alignment: .center) == " abc  ")
        #expect("abcdef".fitted(to: 4) == "abc…")
        #expect("中文字".fitted(to: 4) == "中… ")
        #expect("x".fitted(to: 0) == "")
    }
}
