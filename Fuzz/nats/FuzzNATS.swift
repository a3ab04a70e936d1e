import NATSProtocol
import NIOCore

/// libFuzzer's entry: any bytes as what a NATS server sends. The parser may
/// refuse, never trap; and bytes cut anywhere (the first byte picks where)
/// parse to the same operations as the bytes in one piece.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNATS(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let start, count > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: start, count: count))
    let parser = NATSParser(maxPayload: 1 << 16)
    let whole = parseAll([bytes], parser)
    let cut = Int(bytes[0]) % bytes.count
    let pieces = parseAll([Array(bytes[..<cut]), Array(bytes[cut...])], parser)
    guard whole == pieces else { fatalError("cut at \(cut) parsed differently: \(whole) vs \(pieces)") }
    return 0
}

/// The operations parsed until the bytes run out or the parser refuses.
func parseAll(_ chunks: [[UInt8]], _ parser: NATSParser) -> ([NATSServerOp], refused: Bool) {
    var buffer = ByteBuffer()
    var ops: [NATSServerOp] = []
    for chunk in chunks {
        buffer.writeBytes(chunk)
        do {
            while let op = try parser.parse(&buffer) { ops.append(op) }
        } catch {
            return (ops, true)
        }
    }
    return (ops, false)
}

func == (a: ([NATSServerOp], refused: Bool), b: ([NATSServerOp], refused: Bool)) -> Bool {
    a.0 == b.0 && a.refused == b.refused
}
