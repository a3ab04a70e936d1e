import ClusterdashTesting
import RenderCore
import Testing

@Suite struct WidgetGoldenTests {
    @Test func blockWithTitleAndTrailing() {
        var b = Buffer(size: Size(width: 24, height: 4))
        Block(title: "Nodes", trailing: "5/5").render(b.area, &b)
        expectGolden(b, "block")
        #expect(Block().inner(b.area) == Rect(x: 1, y: 1, width: 22, height: 2))
    }

    /// A golden screen records style as well as text: a selection or colour
    /// regression with the same characters fails it.
    @Test func goldenScreensRecordStyle() {
        var b = Buffer(size: Size(width: 10, height: 2))
        b.write("node-1", x: 0, y: 0, maxWidth: 10, style: Style(Slot(40), .bold))
        var moved = b
        moved.addModifiers(Rect(x: 0, y: 1, width: 10, height: 1), .reverse)
        #expect(b.text == moved.text)
        #expect(GoldenScreen.render(b) != GoldenScreen.render(moved))
        let text = GoldenScreen.render(b, slotNames: [Slot(40): "lag_ok"])
        #expect(text.contains(" a = lag_ok bold\n"))
        #expect(text.contains("|aaaaaabbbb|\n|bbbbbbbbbb|\n"))
    }

    @Test func blockInASCII() {
        var b = Buffer(size: Size(width: 12, height: 3))
        Block(title: "Log", symbols: .ascii).render(b.area, &b)
        #expect(b.textLines() == ["+ Log -----+", "|          |", "+----------+"])
    }

    @Test func tinyBlocksDoNotBreak() {
        for w in 0..<4 {
            for h in 0..<4 {
                var b = Buffer(size: Size(width: w, height: h))
                Block(title: "Replication").render(b.area, &b)
                #expect(b.size == Size(width: w, height: h))
            }
        }
        var b = Buffer(size: Size(width: 5, height: 2))
        Block(title: "Replication").render(b.area, &b)
        #expect(b.textLines() == ["┌ R…┐", "└───┘"])
    }

    @Test func paragraphCutsAndWraps() {
        var b = Buffer(size: Size(width: 16, height: 6))
        Paragraph(["short", Line([Span("a line that is far too long")]), "中文 text"]).render(
            Rect(x: 0, y: 0, width: 16, height: 3), &b)
        Paragraph([Line("wrap these words please")], wrap: true).render(Rect(x: 0, y: 3, width: 10, height: 3), &b)
        expectGolden(b, "paragraph")
    }

    @Test func tableRendersOnlyVisibleRows() {
        final class Counter: @unchecked Sendable {
            var asked: [Int] = []
        }
        let counter = Counter()
        let table = Table(
            columns: [Column("ID", .fixed(8)), Column("Worker", .fill(1)), Column("Weight", .fixed(6), alignment: .right)],
            rowCount: 100_000
        ) { i in
            counter.asked.append(i)
            return [Line("p-\(i)"), Line("node-\(i % 7 + 1)"), Line("\(i % 3 + 1).0")]
        }
        var state = TableState(selected: 50_000)
        var b = Buffer(size: Size(width: 30, height: 6))
        table.render(b.area, &b, state: &state)
        #expect(counter.asked.count == 5)
        #expect(state.offset == 49_996)
        expectGolden(b, "table")
        #expect(b[0, 5].style.modifiers.contains(.reverse))
        #expect(!b[0, 4].style.modifiers.contains(.reverse))
    }

    @Test func tableStateClampsSelection() {
        var s = TableState(selected: 10, offset: 0)
        s.scrollToSelection(visibleRows: 3, rowCount: 5)
        #expect(s.selected == 4)
        #expect(s.offset == 2)
        var e = TableState(selected: 3, offset: 7)
        e.scrollToSelection(visibleRows: 3, rowCount: 0)
        #expect(e.selected == nil)
        #expect(e.offset == 0)
    }

    @Test func sparklineAndGauge() {
        var b = Buffer(size: Size(width: 20, height: 3))
        Sparkline(values: [0, 1, 2, 3, 4, 5, 6, 7, 8, 4, 0]).render(Rect(x: 0, y: 0, width: 20, height: 1), &b)
        Gauge(ratio: 0.64).render(Rect(x: 0, y: 1, width: 20, height: 1), &b)
        Gauge(ratio: 1.5, label: "done").render(Rect(x: 0, y: 2, width: 10, height: 1), &b)
        Gauge(ratio: .nan).render(Rect(x: 10, y: 2, width: 10, height: 1), &b)
        expectGolden(b, "sparkline-gauge")
    }

    @Test func sparklineHandlesFlatAndBadValues() {
        var b = Buffer(size: Size(width: 4, height: 1))
        Sparkline(values: [0, 0, .infinity, -5]).render(b.area, &b)
        #expect(b.textLines() == ["▁▁▁▁"])
        var c = Buffer(size: Size(width: 4, height: 1))
        Sparkline(values: [], symbols: .ascii).render(c.area, &c)
        #expect(c.textLines() == ["    "])
    }

    @Test func logViewFollowsAndScrolls() {
        let view = LogView(count: 1_000) { i in Line("line \(i)") }
        var b = Buffer(size: Size(width: 12, height: 3))
        view.render(b.area, &b)
        #expect(b.textLines() == ["line 997    ", "line 998    ", "line 999    "])
        var c = Buffer(size: Size(width: 12, height: 3))
        LogView(count: 1_000, scrollBack: 10) { i in Line("line \(i)") }.render(c.area, &c)
        #expect(c.textLines() == ["line 987    ", "line 988    ", "line 989    "])
        var d = Buffer(size: Size(width: 12, height: 3))
        LogView(count: 2, scrollBack: 50) { i in Line("line \(i)") }.render(d.area, &d)
        #expect(d.textLines() == ["line 0      ", "line 1      ", "            "])
    }

    @Test func composedScreen() {
        // A small dashboard-like screen: the shape later views will take.
        var b = Buffer(size: Size(width: 40, height: 12))
        let rows = Layout.split(b.area, .vertical, [.fixed(1), .fill(1), .fixed(1)])
        b.write(Line([Span("demo ", Style(.title, .bold)), Span("term 7", Style(.accent))]), x: 0, y: 0, maxWidth: 40)
        let cols = Layout.split(rows[1], .horizontal, [.percentage(50), .fill(1)])
        let left = Block(title: "Nodes")
        left.render(cols[0], &b)
        let table = Table(columns: [Column("ID", .fixed(7)), Column("Role", .fill(1))], rowCount: 3) { i in
            [Line("node-\(i + 1)"), Line(i == 0 ? "● primary" : "○ replica")]
        }
        var state = TableState()
        table.render(left.inner(cols[0]), &b, state: &state)
        let right = Block(title: "Log", borderStyle: Style(.borderFocused))
        right.render(cols[1], &b)
        LogView(count: 3) { i in Line(["node-1 demoted", "node-2 elected", "中文 event"][i]) }.render(right.inner(cols[1]), &b)
        b.write("q quit  ? help", x: 0, y: 11, maxWidth: 40, style: Style(.dim))
        expectGolden(b, "composed")
    }
}
