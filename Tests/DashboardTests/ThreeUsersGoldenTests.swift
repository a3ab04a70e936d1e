import ClusterProtocol
import ClusterSim
import ClusterState
import ClusterdashTesting
import Dashboard
import EventSources
import RenderCore
import Testing

@Suite struct ThreeUsersGoldenTests {
    @Test func wallHealthy() {
        let s = Scene.wall()
        #expect(wallStatus(s.model) == .ok)
        expectScreen(s, "wall-healthy-120x40", 120, 40)
        expectScreen(s, "wall-healthy-200x60", 200, 60)
    }

    @Test func wallSplitBrain() {
        var s = Scene.wall()
        let seq = (s.model.state.seqs["node-4"] ?? 0) + 1
        s.feed([
            Envelope(
                id: "rogue", source: "node-4", seq: seq, timestamp: s.sim.now,
                event: .roleChanged(RoleChanged(node: "node-4", from: .replica, to: .primary, term: 1, reason: nil)))
        ])
        #expect(wallStatus(s.model) == .splitBrain)
        #expect(s.model.view == .incident, "the wall switches to the incident layout by itself")
        expectScreen(s, "wall-split-brain-120x40", 120, 40)
    }

    @Test func wallDisconnected() {
        var s = Scene.wall()
        let at = s.sim.now.adding(millis: 95_000)
        let views = [
            EndpointView(
                name: "ws://10.0.0.5:7400/v1/stream", status: .backingOff(until: at.adding(millis: 4_000), attempt: 3, reason: "connection refused"))
        ]
        _ = update(&s.model, .batch(Batch(items: [], dropped: 0, backlog: 0), views, at: at))
        #expect(wallStatus(s.model) == .disconnected)
        let screen = s.screen(120, 40).text
        #expect(screen.contains("no data since 13:01:00, 95s ago"))
        #expect(screen.contains("ws://10.0.0.5:7400/v1/stream: connection refused; next try in 4.0s (attempt 4)"), "why, and when the next try is")
        #expect(!screen.contains("node-2"), "no old numbers shown as if live")
        expectScreen(s, "wall-disconnected-120x40", 120, 40)
    }

    @Test func wallHasOneKey() {
        var s = Scene.wall()
        for k: Key in [.char("p"), .char("m"), .char("?"), .tab, .enter, .char("i"), .char("e"), .char("s")] {
            #expect(s.press(k).isEmpty)
            #expect(s.model.overlay == nil)
        }
        #expect(s.press(.char("q")) == [.quit])
        s.model.noQuitKey = true
        #expect(s.press(.char("q")).isEmpty)
    }

    @Test func incidentViewWithSeveralAlerts() {
        var s = Scene.incident()
        _ = s.press(.char("i"))
        #expect(s.model.view == .incident)
        expectScreen(s, "incident-120x40", 120, 40)
        expectScreen(s, "incident-80x24", 80, 24)
        _ = s.press(.escape)
        #expect(s.model.view == .dashboard)
    }
}
