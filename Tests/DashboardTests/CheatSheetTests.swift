import ClusterProtocol
import ClusterSim
import ClusterState
import ClusterdashTesting
import Dashboard
import EventSources
import Foundation
import RenderCore
import Testing

@Suite struct CheatSheetTests {
    @Test func theReadmeKeyTableIsTheKeymap() throws {
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../README.md").standardized
        let text = try String(contentsOf: readme, encoding: .utf8)
        let sheet = Keymap().markdownCheatSheet()
        #expect(text.contains(sheet), "README.md's key table is out of date; paste:\n\(sheet)")
    }
}
