import NIOCore
import RESPProtocol

/// libFuzzer's entry: any bytes as what a Redis server answers (RESP2 and
/// RESP3). The parser may refuse, never trap; and bytes cut anywhere (the
/// first byte picks where) parse to the same values as the bytes in one piece.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRESP(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let start, count > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: start, count: count))
    var parser = RESPParser()
    parser.maxBulkBytes = 1 << 16
    parser.maxElements = 1 << 12
    let whole = parseAll([bytes], parser)
    let cut = Int(bytes[0]) % bytes.count
    let pieces = parseAll([Array(bytes[..<cut]), Array(bytes[cut...])], parser)
    guard whole.values == pieces.values, whole.refused == pieces.refused else {
        fatalError("cut at \(cut) parsed differently: \(whole) vs \(pieces)")
    }
    return 0
}

/// The values parsed until the bytes run out or the parser refuses.
func parseAll(_ chunks: [[UInt8]], _ parser: RESPParser) -> (values: [RESPValue], refused: Bool) {
    var buffer = ByteBuffer()
    var values: [RESPValue] = []
    for chunk in chunks {
        buffer.writeBytes(chunk)
        do {
            while let value = try parser.parse(&buffer) { values.append(value) }
        } catch {
            return (values, true)
        }
    }
    return (values, false)
}
