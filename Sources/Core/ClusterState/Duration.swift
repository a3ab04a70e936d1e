/// Parses durations of scenario files and options: `500ms`, `10s`, `2m`, `1m30s`, `1h`, or plain seconds.
public func parseDuration(_ text: String) -> Int64? {
    let t = text.trimmingWhitespace
    guard !t.isEmpty else { return nil }
    if let seconds = Double(t), seconds.isFinite, seconds >= 0 { return Int64(seconds * 1000) }
    var total: Double = 0
    var number = ""
    var unit = ""
    var sawAny = false
    func flush() -> Bool {
        guard !number.isEmpty, let v = Double(number), v.isFinite, v >= 0 else { return false }
        let factor: Double
        switch unit {
        case "ms": factor = 1
        case "s": factor = 1000
        case "m": factor = 60_000
        case "h": factor = 3_600_000
        default: return false
        }
        total += v * factor
        number = ""
        unit = ""
        sawAny = true
        return true
    }
    for c in t {
        if c.isNumber || c == "." {
            if !unit.isEmpty { guard flush() else { return nil } }
            number.append(c)
        } else if c.isLetter {
            guard !number.isEmpty else { return nil }
            unit.append(c)
        } else {
            return nil
        }
    }
    guard flush(), sawAny, total < 1e15 else { return nil }
    return Int64(total)
}

extension String {
    public var trimmingWhitespace: String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}

/// How a duration is written.
public enum DurationStyle: Sendable, Hashable {
    /// `0.3s`, `45s`, `3m05s`, `2h00m`: ages in panes and headers.
    case compact
    /// The same with milliseconds under a second (`120ms`): replication lag.
    case compactMillis
    /// `120 ms`, `1.3 s`, `3 m 20 s`, `2 h 0 m`: sentences in the log.
    case words
}

/// The one duration formatter: every age, lag and log sentence uses it.
public func formatDuration(_ millis: Int64, _ style: DurationStyle) -> String {
    let ms = max(0, millis)
    let words = style == .words
    let sep = words ? " " : ""
    if style != .compact, ms < 1_000 { return "\(ms)\(sep)ms" }
    // Truncated, never rounded up: "lag 60s" only once it is 60 s.
    let tenths = ms / 100
    if tenths < 100, !words || ms % 1_000 != 0 { return "\(tenths / 10).\(tenths % 10)\(sep)s" }
    let s = ms / 1_000
    func two(_ v: Int64) -> String { words || v >= 10 ? "\(v)" : "0\(v)" }
    if s < 120 { return "\(s)\(sep)s" }
    if s < 7_200 { return "\(s / 60)\(sep)m\(sep)\(two(s % 60))\(sep)s" }
    return "\(s / 3_600)\(sep)h\(sep)\(two(s / 60 % 60))\(sep)m"
}
