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
    var trimmingWhitespace: String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}
