import Foundation
import RenderCore

/// Golden-screen comparison: a rendered buffer against a text file holding
/// the expected screen, text and style, compared whole (like ratatui's buffer
/// assertions and Textual's snapshots): a colour or selection regression
/// fails as surely as a wrong character. Set `CLUSTERDASH_UPDATE_GOLDEN=1`
/// to (re)write the files on purpose; never otherwise.
public struct GoldenScreen: Sendable {
    /// Where the golden files live (usually a `Golden` folder beside the test file).
    public let directory: URL
    /// Names for slots in the style legend (`role_primary`); others show as numbers.
    public let slotNames: [Slot: String]

    public init(directory: URL, slotNames: [Slot: String] = [:]) {
        self.directory = directory
        self.slotNames = slotNames
    }

    /// The folder `Golden` next to the calling test file.
    public init(besides filePath: String = #filePath, slotNames: [Slot: String] = [:]) {
        directory = URL(fileURLWithPath: filePath).deletingLastPathComponent().appendingPathComponent("Golden")
        self.slotNames = slotNames
    }

    public static var updating: Bool {
        ProcessInfo.processInfo.environment["CLUSTERDASH_UPDATE_GOLDEN"] == "1"
    }

    /// The outcome of one comparison; `message` says what differs.
    public struct Result: Sendable {
        public var matches: Bool
        public var message: String
    }

    /// Compares `buffer` with `name.txt`. A missing file is a failure unless updating.
    public func check(_ buffer: Buffer, named name: String) -> Result {
        let actual = GoldenScreen.render(buffer, slotNames: slotNames)
        let url = directory.appendingPathComponent("\(name).txt")
        if GoldenScreen.updating {
            do {
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                try actual.write(to: url, atomically: true, encoding: .utf8)
                return Result(matches: true, message: "wrote \(url.path)")
            } catch {
                return Result(matches: false, message: "could not write \(url.path): \(error)")
            }
        }
        guard let expected = try? String(contentsOf: url, encoding: .utf8) else {
            return Result(
                matches: false,
                message: "no golden screen \(url.path); run with CLUSTERDASH_UPDATE_GOLDEN=1 to create it.\nActual:\n\(actual)")
        }
        if expected == actual { return Result(matches: true, message: "") }
        return Result(matches: false, message: GoldenScreen.describeDifference(expected: expected, actual: actual, name: name))
    }

    /// The text form of a screen: a ruler line with the size, then each row
    /// between `|` marks so trailing spaces are visible; then `styles`: a
    /// legend (one letter per slot and modifiers) and each row as letters,
    /// one per cell, aligned with the text.
    public static func render(_ buffer: Buffer, slotNames: [Slot: String] = [:]) -> String {
        var out = "size \(buffer.size.width)x\(buffer.size.height)\n"
        for line in buffer.textLines() {
            out += "|\(line)|\n"
        }
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        var codes: [Style: Character] = [:]
        var legend: [String] = []
        var rows: [String] = []
        for y in 0..<buffer.size.height {
            var row = ""
            for x in 0..<buffer.size.width {
                let cell = buffer[x, y]
                if cell.isContinuation { continue }
                if let c = codes[cell.style] {
                    row.append(c)
                    continue
                }
                let c = codes.count < alphabet.count ? alphabet[codes.count] : "?"
                codes[cell.style] = c
                legend.append("\(c) = \(describe(cell.style, slotNames))")
                row.append(c)
            }
            rows.append(row)
        }
        out += "styles\n"
        for l in legend { out += " \(l)\n" }
        for r in rows { out += "|\(r)|\n" }
        return out
    }

    static func describe(_ style: Style, _ names: [Slot: String]) -> String {
        var words = [names[style.slot] ?? "slot \(style.slot.rawValue)"]
        for (m, name) in [(Modifiers.bold, "bold"), (.dim, "dim"), (.reverse, "reverse"), (.underline, "underline"), (.blink, "blink")]
        where style.modifiers.contains(m) {
            words.append(name)
        }
        return words.joined(separator: " ")
    }

    static func describeDifference(expected: String, actual: String, name: String) -> String {
        let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
        var report = "golden screen \(name) differs:\n"
        var shown = 0
        for i in 0..<max(e.count, a.count) {
            let el = i < e.count ? String(e[i]) : "<none>"
            let al = i < a.count ? String(a[i]) : "<none>"
            if el != al {
                report += "row \(i):\n  expected \(el)\n  actual   \(al)\n"
                shown += 1
                if shown >= 12 {
                    report += "  ...\n"
                    break
                }
            }
        }
        report += "Actual screen:\n\(actual)"
        return report
    }
}
