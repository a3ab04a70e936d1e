import ClusterdashTesting
import RenderCore
import Testing

let golden = GoldenScreen()

func expectGolden(_ buffer: Buffer, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let result = golden.check(buffer, named: name)
    #expect(result.matches, "\(result.message)", sourceLocation: sourceLocation)
}
