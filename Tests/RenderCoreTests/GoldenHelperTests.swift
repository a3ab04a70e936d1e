import ClusterdashTesting
import RenderCore
import Testing

@Suite struct GoldenHelperTests {
    @Test(.disabled(if: GoldenScreen.updating, "writes goldens instead of comparing"))
    func aDifferentScreenIsReported() throws {
        var b = Buffer(size: Size(width: 24, height: 4))
        Block(title: "Nodez", trailing: "5/5").render(b.area, &b)
        let result = golden.check(b, named: "block")
        #expect(!result.matches)
        #expect(result.message.contains("row 1:"))
        #expect(result.message.contains("Nodez"))
        let missing = golden.check(b, named: "no-such-screen")
        #expect(!missing.matches)
    }
}
