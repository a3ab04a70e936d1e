import Foundation
import RenderCore

/// Finds and loads theme files: a path, or a name looked up in the theme folders.
struct ThemeLibrary {
    let folders: [String]

    init() {
        var folders: [String] = []
        let env = ProcessInfo.processInfo.environment
        if let d = env["CLUSTERDASH_THEMES"] { folders.append(d) }
        folders.append(configDirectory() + "/themes")
        let exe = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath().deletingLastPathComponent()
        // `swift run` puts the binary in .build/<config>/: the repo's themes/ is two levels up.
        folders.append(exe.appendingPathComponent("../../themes").standardized.path)
        folders.append(exe.appendingPathComponent("../share/clusterdash/themes").standardized.path)
        folders.append(FileManager.default.currentDirectoryPath + "/themes")
        self.folders = folders
    }

    /// Theme names found, `default` first.
    var names: [String] {
        var found: Set<String> = []
        for f in folders {
            for file in (try? FileManager.default.contentsOfDirectory(atPath: f)) ?? [] where file.hasSuffix(".toml") {
                found.insert(String(file.dropLast(5)))
            }
        }
        return found.sorted { a, b in a == "default" ? true : b == "default" ? false : a < b }
    }

    func load(_ nameOrPath: String) throws -> Theme {
        let candidates =
            nameOrPath.contains("/") || nameOrPath.hasSuffix(".toml")
            ? [nameOrPath] : folders.map { "\($0)/\(nameOrPath).toml" }
        for path in candidates where FileManager.default.fileExists(atPath: path) {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            do {
                return try Theme.parse(toml: text)
            } catch {
                throw ValidationFailure("\(path): \(error.description)")
            }
        }
        throw ValidationFailure("no theme \(nameOrPath) (looked in \(folders.joined(separator: ", ")))")
    }
}

struct ValidationFailure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
