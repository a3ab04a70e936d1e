@_exported import struct ClusterState.SplitMix64

/// Deterministic damage to frames, for testing that decoders never crash:
/// truncation, bit flips, swapped and duplicated bytes, huge numbers, deep
/// nesting, invalid UTF-8 and type confusion. Same seed, same frames.
public struct FrameMutator {
    public private(set) var rng: SplitMix64

    public init(seed: UInt64) {
        rng = SplitMix64(seed: seed)
    }

    public static let strategies = [
        "truncate", "bitflip", "swap", "duplicate", "delete", "hugeNumber", "deepNesting", "invalidUTF8",
        "typeConfusion", "insertGarbage", "dropQuote",
    ]

    /// One mutated copy of `frame` and the name of what was done to it.
    public mutating func mutate(_ frame: [UInt8]) -> (name: String, bytes: [UInt8]) {
        var b = frame
        let name = FrameMutator.strategies[Int(rng.next() % UInt64(FrameMutator.strategies.count))]
        let n = b.count
        func pos() -> Int { n == 0 ? 0 : Int(rng.next() % UInt64(n)) }
        switch name {
        case "truncate":
            b = Array(b.prefix(pos()))
        case "bitflip":
            for _ in 0..<(1 + Int(rng.next() % 4)) where n > 0 {
                let i = pos()
                b[i] ^= UInt8(1 << (rng.next() % 8))
            }
        case "swap":
            if n > 1 {
                let i = pos()
                let j = pos()
                b.swapAt(i, j)
            }
        case "duplicate":
            let i = pos()
            let j = min(n, i + Int(rng.next() % 32))
            b.insert(contentsOf: Array(frame[i..<j]), at: j)
        case "delete":
            let i = pos()
            let j = min(n, i + 1 + Int(rng.next() % 16))
            b.removeSubrange(i..<j)
        case "hugeNumber":
            // Replace the first digit run with an enormous number.
            let huge = ["99999999999999999999999999", "-9223372036854775809", "1e400", "-1e-400", "1.7976931348623157e309"]
            let pick = Array(huge[Int(rng.next() % UInt64(huge.count))].utf8)
            if let i = b.firstIndex(where: { $0 >= 0x30 && $0 <= 0x39 }) {
                var j = i
                while j < b.count, b[j] >= 0x30 && b[j] <= 0x39 { j += 1 }
                b.replaceSubrange(i..<j, with: pick)
            }
        case "deepNesting":
            let depth = 50 + Int(rng.next() % 5000)
            let i = pos()
            b.insert(contentsOf: Array(repeating: UInt8(ascii: "["), count: depth), at: i)
        case "invalidUTF8":
            let bad: [[UInt8]] = [[0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82]]
            b.insert(contentsOf: bad[Int(rng.next() % UInt64(bad.count))], at: pos())
        case "typeConfusion":
            // Turn a string value into a number, object or array, or the reverse.
            let swaps: [(String, String)] = [
                ("\"", "{"), (":\"", ":["), (":1", ":\"1\""), (":null", ":{}"), ("true", "\"true\""), ("[", "{"),
            ]
            let (from, to) = swaps[Int(rng.next() % UInt64(swaps.count))]
            b = FrameMutator.replaceOne(b, Array(from.utf8), Array(to.utf8), skip: Int(rng.next() % 8))
        case "insertGarbage":
            let garbage: [UInt8] = (0..<(1 + Int(rng.next() % 8))).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            b.insert(contentsOf: garbage, at: pos())
        default:  // dropQuote
            if let i = b.indices.filter({ b[$0] == UInt8(ascii: "\"") }).dropFirst(Int(rng.next() % 6)).first {
                b.remove(at: i)
            }
        }
        return (name, b)
    }

    static func replaceOne(_ b: [UInt8], _ from: [UInt8], _ to: [UInt8], skip: Int) -> [UInt8] {
        guard !from.isEmpty, b.count >= from.count else { return b }
        var seen = 0
        var i = 0
        while i + from.count <= b.count {
            if Array(b[i..<(i + from.count)]) == from {
                if seen == skip {
                    var out = b
                    out.replaceSubrange(i..<(i + from.count), with: to)
                    return out
                }
                seen += 1
            }
            i += 1
        }
        return b
    }
}
