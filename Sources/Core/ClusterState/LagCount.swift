/// A lag counted in the engine's unit, for a reader: bytes (`25.4 MiB`),
/// transactions (`12 trx`, `4.1k trx`, `2.3M trx`), or any other unit an
/// engine counts in, by its last word (`raft entries`: `340 entries`,
/// `1.2k entries`). Never rounds a small non-zero figure to 0.
public func formatLagCount(_ n: Int64, unit: String) -> String {
    guard unit != "bytes" else { return formatBytes(n) }
    let word = unit == "transactions" ? "trx" : String(unit.split(separator: " ").last ?? Substring(unit))
    let v = Double(n)
    for (size, suffix) in [(1e9, "G"), (1e6, "M"), (1e3, "k")] where abs(v) >= size {
        let x = v / size
        return x >= 100 ? "\(Int(x.rounded()))\(suffix) \(word)" : "\(Double(Int((x * 10).rounded())) / 10)\(suffix) \(word)"
    }
    return "\(n) \(word)"
}
