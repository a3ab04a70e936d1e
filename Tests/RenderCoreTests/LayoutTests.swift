import RenderCore
import Testing

@Suite struct LayoutTests {
    @Test func fixedFillAndPercentage() {
        #expect(Layout.sizes(length: 100, [.fixed(10), .fill(1), .percentage(20)]) == [10, 70, 20])
        #expect(Layout.sizes(length: 100, [.fill(1), .fill(3)]) == [25, 75])
        #expect(Layout.sizes(length: 10, [.min(3), .fixed(2)]) == [8, 2])
        #expect(Layout.sizes(length: 11, [.fill(1), .fill(1)], spacing: 1) == [5, 5])
    }

    @Test func tooLittleRoomShrinksTheLastFirst() {
        #expect(Layout.sizes(length: 10, [.fixed(6), .fixed(6)]) == [6, 4])
        #expect(Layout.sizes(length: 3, [.fixed(6), .min(2)]) == [3, 0])
        #expect(Layout.sizes(length: 0, [.fixed(6), .fill(1)]) == [0, 0])
        #expect(Layout.sizes(length: 5, []) == [])
    }

    @Test func splitRects() {
        let r = Layout.split(Rect(x: 2, y: 1, width: 20, height: 10), .vertical, [.fixed(1), .fill(1), .fixed(2)])
        #expect(
            r == [
                Rect(x: 2, y: 1, width: 20, height: 1), Rect(x: 2, y: 2, width: 20, height: 7),
                Rect(x: 2, y: 9, width: 20, height: 2),
            ])
        let h = Layout.split(Rect(x: 0, y: 0, width: 21, height: 3), .horizontal, [.fill(1), .fill(1)], spacing: 1)
        #expect(h.map(\.x) == [0, 11])
        #expect(h.map(\.width) == [10, 10])
    }

    @Test func rectHelpers() {
        let r = Rect(x: 0, y: 0, width: 10, height: 4)
        #expect(r.inset(by: 1) == Rect(x: 1, y: 1, width: 8, height: 2))
        #expect(r.inset(by: 5).isEmpty)
        #expect(r.intersection(Rect(x: 8, y: 2, width: 10, height: 10)) == Rect(x: 8, y: 2, width: 2, height: 2))
        #expect(r.intersection(Rect(x: 20, y: 20, width: 1, height: 1)).isEmpty)
        #expect(r.centered(width: 4, height: 2) == Rect(x: 3, y: 1, width: 4, height: 2))
    }
}
