/// The hash slot of a key: CRC16 (XMODEM) of the key, or of its hash tag
/// (what is between the first `{` and the next `}`, when not empty), mod
/// 16384. A tenant whose keys share `{tenant}` lives in one slot.
public enum HashSlot {
    /// Redis Cluster's slots: 0...16383.
    public static let count = 16_384

    public static func of(_ key: String) -> Int {
        var bytes = Array(key.utf8)
        if let open = bytes.firstIndex(of: UInt8(ascii: "{")),
            let close = bytes[(open + 1)...].firstIndex(of: UInt8(ascii: "}")), close > open + 1
        {
            bytes = Array(bytes[(open + 1)..<close])
        }
        return Int(crc16(bytes) % UInt16(count))
    }

    public static func crc16(_ bytes: [UInt8]) -> UInt16 {
        var crc: UInt16 = 0
        for b in bytes {
            crc ^= UInt16(b) << 8
            for _ in 0..<8 { crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x1021 : crc << 1 }
        }
        return crc
    }
}

extension HashSlot {
    /// The slot a migration's tenant names: `slot 1234` (or `slot:1234`) is
    /// that slot; anything else is a hash tag (`{tenant-42}` or `tenant-42`,
    /// the same slot). Nil for a slot number out of range or an empty tenant.
    public static func named(by tenant: String) -> Int? {
        let t = tenant.trimmingWhitespace
        guard !t.isEmpty else { return nil }
        let lower = t.lowercased()
        if lower.hasPrefix("slot") {
            let rest = lower.dropFirst(4).drop { $0 == " " || $0 == ":" || $0 == "#" }
            if let n = Int(rest) { return (0..<count).contains(n) ? n : nil }
        }
        return of(t)
    }
}
