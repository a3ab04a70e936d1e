/// A lag counted in the engine's unit, for a reader: bytes (`25.4 MiB`) or
/// transactions (`12 trx`, `4.1k trx`, `2.3M trx`). Never rounds a small
/// non-zero figure to 0.
public func formatLagCount(_ n: Int64, unit: String) -> String {
    guard unit == "transactions" else { return formatBytes(n) }
    let v = Double(n)
    for (size, suffix) in [(1e9, "G"), (1e6, "M"), (1e3, "k")] where abs(v) >= size {
        let x = v / size
        return x >= 100 ? "\(Int(x.rounded()))\(suffix) trx" : "\(Double(Int((x * 10).rounded())) / 10)\(suffix) trx"
    }
    return "\(n) trx"
}
