import Foundation

/// Where each key of a TOML file stands, so that a config error can name the
/// line as well as the field. TOMLKit gives parse errors a line but values
/// none; this reads the text once for table headers (`[a.b]`, `[[a]]`) and
/// `key = …` lines (dotted and quoted keys included). Multi-line strings and
/// arrays are skipped over so that their contents are not taken for keys. A
/// key it cannot place (an inline table's) falls back to its table's line.
struct ConfigLines: Sendable {
    private var lines: [String: Int] = [:]

    init(_ text: String) {
        var header: [String] = []
        var open: Character?  // inside a multi-line string (`"""` or `'''`)
        var depth = 0  // inside a multi-line array
        var number = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            number += 1
            let line = raw.trimmingCharacters(in: .whitespaces)
            if let q = open {
                if line.contains(String(repeating: q, count: 3)) { open = nil }
                continue
            }
            if depth > 0 {
                depth = max(0, depth + ConfigLines.bracketBalance(line))
                continue
            }
            if line.hasPrefix("[") {
                let inner = line.drop { $0 == "[" }.prefix { $0 != "]" }
                header = ConfigLines.keyPath(String(inner))
                lines[header.joined(separator: "."), default: number] = number
                continue
            }
            guard let eq = ConfigLines.assignment(line) else { continue }
            let path = header + ConfigLines.keyPath(String(line[..<eq]))
            lines[path.joined(separator: "."), default: number] = number
            let value = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            for q: Character in ["\"", "'"] where value.hasPrefix(String(repeating: q, count: 3)) {
                if !value.dropFirst(3).contains(String(repeating: q, count: 3)) { open = q }
            }
            if value.hasPrefix("[") { depth = max(0, ConfigLines.bracketBalance(value)) }
        }
    }

    /// The line of `field` (`clusters.prod.endpoints`), else of the nearest
    /// table above it that has one.
    func line(of field: [String]) -> Int? {
        var path = field
        while !path.isEmpty {
            if let n = lines[path.joined(separator: ".")] { return n }
            path.removeLast()
        }
        return nil
    }

    /// The index of the `=` of a `key = value` line (outside quotes), if it is one.
    private static func assignment(_ line: String) -> String.Index? {
        guard let first = line.first, first != "#" else { return nil }
        var quote: Character?
        for i in line.indices {
            let c = line[i]
            if let q = quote {
                if c == q { quote = nil }
            } else if c == "\"" || c == "'" {
                quote = c
            } else if c == "=" {
                return i
            } else if c == "#" {
                return nil
            }
        }
        return nil
    }

    /// `a."b.c".d` -> `["a", "b.c", "d"]`.
    static func keyPath(_ text: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var quote: Character?
        for c in text {
            if let q = quote {
                if c == q { quote = nil } else { current.append(c) }
            } else if c == "\"" || c == "'" {
                quote = c
            } else if c == "." {
                parts.append(current.trimmingCharacters(in: .whitespaces))
                current = ""
            } else {
                current.append(c)
            }
        }
        parts.append(current.trimmingCharacters(in: .whitespaces))
        return parts
    }

    /// Opening minus closing brackets outside strings and comments.
    private static func bracketBalance(_ text: String) -> Int {
        var n = 0
        var quote: Character?
        for c in text {
            if let q = quote {
                if c == q { quote = nil }
            } else if c == "\"" || c == "'" {
                quote = c
            } else if c == "#" {
                break
            } else if c == "[" {
                n += 1
            } else if c == "]" {
                n -= 1
            }
        }
        return n
    }
}
