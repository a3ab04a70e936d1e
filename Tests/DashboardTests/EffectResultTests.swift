import ClusterProtocol
import ClusterSim
import ClusterState
import ClusterdashTesting
import Dashboard
import EventSources
import Foundation
import RenderCore
import Testing

@Suite struct EffectResultTests {
    /// The runtime reports what came of an effect as a message; `update`
    /// alone writes the model.
    @Test func effectResultsComeBackAsMessages() {
        var s = Scene.healthy()
        _ = update(&s.model, .effectResult(.auditFailed(reason: "/ro/audit.jsonl: read-only file system")))
        #expect(s.model.message == "AUDIT LOG NOT WRITTEN: /ro/audit.jsonl: read-only file system")
        #expect(s.screen(120, 40).text.contains("AUDIT LOG NOT WRITTEN"), "an audit failure is on screen")
        _ = update(&s.model, .effectResult(.bundleWritten(path: "/tmp/incident-1")))
        #expect(s.model.message == "bundle written to /tmp/incident-1")
        _ = update(&s.model, .effectResult(.replayStatus("REPLAY 2x")))
        #expect(s.model.replayBadge == "REPLAY 2x")
        _ = update(&s.model, .effectResult(.themeFailed(name: "x", reason: "no theme x")))
        #expect(s.model.message == "theme x: no theme x")
    }

    @Test func theSetupBuildsTheStartingModel() {
        var setup = DashboardSetup()
        setup.mode = .wall(noQuitKey: true)
        setup.themes = ["default", "light"]
        setup.themeIndex = 7
        setup.notice = "3 bad lines skipped: 1, 2, 3"
        let m = AppModel(now: t0, setup: setup)
        #expect(m.wall && m.readOnly && m.noQuitKey && m.modeBadge == "WALL")
        #expect(m.themeIndex == 1)
        #expect(m.message == "3 bad lines skipped: 1, 2, 3")
        #expect(m.messageUntil == t0.adding(millis: 20_000))
        var replay = DashboardSetup()
        replay.mode = .replay
        let r = AppModel(now: t0, setup: replay)
        #expect(r.replay && r.readOnly && !r.wall)
    }
}
