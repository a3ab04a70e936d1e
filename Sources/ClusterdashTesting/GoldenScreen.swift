import Foundation
import RenderCore

/// Golden-screen comparison: a rendered buffer against a text file holding
/// the expected screen, compared whole. Set `CLUSTERDASH_UPDATE_GOLDEN=1` to
/// (re)write the files on purpose; never otherwise.
public struct GoldenScreen: Sendable {
    /// Where the golden files live (usually a `Golden` folder beside the test file).
    public let directory: URL

    public init(directory: URL) {
        self.directory = directory
    }

    /// The folder `Golden` next to the calling test file.
    public init(besides filePath: String = #filePath) {
        directory = URL(fileURLWithPath: filePath).deletingLastPathComponent().appendingPathComponent("Golden")
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
        let actual = GoldenScreen.render(buffer)
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
    /// between `|` marks so trailing spaces are visible.
    public static func render(_ buffer: Buffer) -> String {
        var out = "size \(buffer.size.width)x\(buffer.size.height)\n"
        for line in buffer.textLines() {
            out += "|\(line)|\n"
        }
        return out
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
