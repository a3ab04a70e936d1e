import ClusterProtocol
import ClusterSim
import ClusterState
import ClusterdashTesting
import Dashboard
import EventSources
import Foundation
import RenderCore
import Testing

@Suite struct ReadOnlyTests {
    @Test func commandKeysAnswerReadOnlyAndSendNothing() {
        var s = Scene.healthy()
        s.model.readOnly = true
        s.model.modeBadge = "READ-ONLY"
        for key: Key in [.char("p"), .char("m"), .char("c"), .char("y"), .enter] {
            let effects = s.press(key)
            #expect(!effects.contains { if case .send = $0 { true } else { false } }, "\(key) sent a command")
            #expect(s.model.overlay == nil || key == .enter)
            s.model.overlay = nil
        }
        _ = s.press(.char("p"))
        #expect(s.model.message == "read-only: commands are disabled")
        let screen = s.screen(120, 40).text
        #expect(screen.contains("[ro] READ-ONLY"))
        #expect(!screen.contains("p promote"))
        // Snapshot requests are not commands: still allowed.
        #expect(s.press(.char("s")) == [.requestSnapshot(endpoint: "ws://10.0.0.5:7400/v1/stream")])
    }
}
