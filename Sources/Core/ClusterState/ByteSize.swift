/// `1048576`, `512KiB`, `16MiB`, `1GiB` (also kB/MB/GB as powers of 1000) ->
/// bytes; nil for anything else.
public func parseByteSize(_ text: String) -> Int64? {
    let t = text.trimmingWhitespace
    let digits = t.prefix { $0.isNumber }
    guard !digits.isEmpty, let n = Int64(digits) else { return nil }
    let unit = t.dropFirst(digits.count).lowercased()
    let factor: Int64
    switch unit {
    case "", "b": factor = 1
    case "kib", "k": factor = 1 << 10
    case "mib", "m": factor = 1 << 20
    case "gib", "g": factor = 1 << 30
    case "kb": factor = 1_000
    case "mb": factor = 1_000_000
    case "gb": factor = 1_000_000_000
    default: return nil
    }
    let (v, overflow) = n.multipliedReportingOverflow(by: factor)
    return overflow ? nil : v
}

/// Bytes for a reader: `0 B`, `216 B`, `4.0 KiB`, `25.4 MiB`, `1.2 GiB`.
/// Never rounds a small non-zero figure to 0.
public func formatBytes(_ bytes: Int64) -> String {
    let b = Double(bytes)
    let units: [(Double, String)] = [(1_099_511_627_776, "TiB"), (1_073_741_824, "GiB"), (1_048_576, "MiB"), (1_024, "KiB")]
    for (size, name) in units where abs(b) >= size {
        let v = b / size
        return v >= 100 ? "\(Int(v.rounded())) \(name)" : "\(Double(Int((v * 10).rounded())) / 10) \(name)"
    }
    return "\(bytes) B"
}
