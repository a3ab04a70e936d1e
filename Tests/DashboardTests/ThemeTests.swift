import ClusterProtocol
import ClusterSim
import ClusterState
import ClusterdashTesting
import Dashboard
import EventSources
import Foundation
import RenderCore
import Testing

@Suite struct ThemeTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../themes").standardized

    @Test func everyShippedThemeParses() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.folder.path).filter { $0.hasSuffix(".toml") }.sorted()
        #expect(files == ["colorblind.toml", "default.toml", "high-contrast.toml", "light.toml", "monochrome.toml"])
        for file in files {
            let theme = try Theme.parse(toml: String(contentsOf: Self.folder.appendingPathComponent(file), encoding: .utf8))
            #expect(theme.name + ".toml" == file)
            // Every slot the dashboard uses is styled by every theme.
            for (name, slot) in AppSlot.named where !["normal", "header"].contains(name) {
                #expect(theme.styles[slot] != nil, "\(file) does not style \(name)")
            }
        }
    }

    @Test func themeErrorsSayWhatIsWrong() {
        #expect(throws: ThemeError("unknown slot `rol_primary`")) { try Theme.parse(toml: "name = \"x\"\n[slots]\nrol_primary = \"red\"\n") }
        #expect(throws: ThemeError("border: unknown colour `reddish`")) { try Theme.parse(toml: "name = \"x\"\n[slots]\nborder = \"reddish\"\n") }
        #expect(throws: ThemeError("missing `name`")) { try Theme.parse(toml: "[slots]\n") }
        #expect(ThemeColor(name: "#ff8000") == .rgb(255, 128, 0))
        #expect(ThemeColor(name: "214") == .indexed(214))
        #expect(ThemeColor(name: "bright_red") == .ansi(9))
    }
}
