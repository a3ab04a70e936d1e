import ClusterProtocol
import ClusterSim
import ClusterState
import ClusterdashTesting
import Dashboard
import EventSources
import RenderCore
import Testing

let goldenSizes = [(80, 24), (120, 40), (200, 60)]

func expectScreens(_ scene: Scene, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) {
    for (w, h) in goldenSizes {
        let result = golden.check(scene.screen(w, h), named: "\(name)-\(w)x\(h)")
        #expect(result.matches, "\(result.message)", sourceLocation: sourceLocation)
    }
}

@Suite struct GoldenScreenTests {
    @Test func healthyCluster() {
        expectScreens(Scene.healthy(), "healthy")
    }

    @Test func failoverInProgress() {
        var s = Scene.healthy()
        s.inject(.crash(node: "node-1"))
        s.run(seconds: 0.1)
        #expect(s.model.state.hasNoPrimary)
        expectScreens(s, "failover")
    }

    @Test func splitBrain() {
        var s = Scene.healthy()
        // node-4 claims primary in its own events while node-1 still does.
        let seq = (s.model.state.seqs["node-4"] ?? 0) + 1
        let e = Envelope(
            id: "rogue-1", source: "node-4", seq: seq, timestamp: s.sim.now,
            event: .roleChanged(RoleChanged(node: "node-4", from: .replica, to: .primary, term: 1, reason: "partitioned")))
        s.feed([e])
        #expect(s.model.state.isSplitBrain)
        expectScreens(s, "split-brain")
    }

    @Test func migrationRunning() {
        var s = Scene.healthy()
        s.command(.migrate(requestID: "r-1", tenant: "acme", target: "eu-west", dryRun: false))
        s.command(.migrate(requestID: "r-2", tenant: "globex", target: "ap-south", dryRun: true))
        s.run(seconds: 4)
        _ = s.press(.tab, .tab, .tab)
        #expect(s.model.focus == .migrations)
        expectScreens(s, "migration")
    }

    @Test func promotionDialogWithAFailingCheck() {
        var s = Scene.healthy()
        s.inject(.lagSpike(node: "node-2", millis: 40_000, durationMillis: 60_000))
        s.run(seconds: 3)
        _ = s.press(.down)  // node-2 in the nodes pane
        _ = s.press(.char("p"))
        guard case .promote(let d) = s.model.overlay else {
            Issue.record("no promotion dialog")
            return
        }
        #expect(d.candidates[d.selected] == "node-2")
        expectScreens(s, "promote-failing")
    }

    /// Found when tried as a new user would: with nothing live the panes
    /// were empty and the header said `endpoints 0/1`. The main screen says
    /// why for each endpoint, and when the next try is.
    @Test func nothingLiveSaysWhyAndWhenOnTheMainScreen() {
        var s = Scene.healthy()
        let at = s.sim.now.adding(millis: 12_000)
        let views = [
            EndpointView(
                name: "wss://gw-a.prod:7400/v1/stream", status: .backingOff(until: at.adding(millis: 2_400), attempt: 3, reason: "connection refused")
            ),
            EndpointView(name: "wss://gw-b.prod:7400/v1/stream", status: .unauthorized(retryAt: at.adding(millis: 28_000))),
            EndpointView(name: "wss://gw-c.prod:7400/v1/stream", status: .connecting(attempt: 2, lastError: "TLS: certificate not trusted")),
        ]
        _ = update(&s.model, .batch(Batch(items: [], dropped: 0, backlog: 0), views, at: at))
        let screen = s.screen(120, 40).text
        #expect(screen.contains("Not connected"))
        #expect(screen.contains("connection refused; next try in 2.4s (attempt 4)"))
        #expect(screen.contains("401 unauthorized: token missing or rejected; next try in 28s"))
        #expect(screen.contains("connecting (attempt 2; last: TLS: certificate not trusted)"))
        expectScreens(s, "not-connected")
        // One endpoint live again: the notice goes.
        var live = views
        live[0].status = .live(since: at, lastFrameAt: at)
        _ = update(&s.model, .batch(Batch(items: [], dropped: 0, backlog: 0), live, at: at))
        #expect(!s.screen(120, 40).text.contains("Not connected"))
    }

    @Test func endpointsOverlayShowsStatusAndCounters() {
        var s = Scene.healthy()
        let at = s.sim.now
        var a = EndpointStats()
        a.frames = 12_345
        a.connections = 3
        a.lastSource = "node-2"
        a.lastSeq = 881
        var b = EndpointStats()
        b.frames = 40
        b.decodeErrors = 2
        b.connections = 1
        let views = [
            EndpointView(name: "wss://gw-a.prod:7400/v1/stream", status: .live(since: at, lastFrameAt: at.adding(millis: -300)), stats: a),
            EndpointView(
                name: "wss://gw-b.prod:7400/v1/stream",
                status: .backingOff(until: at.adding(millis: 1_500), attempt: 2, reason: "connection refused"), stats: b),
        ]
        _ = update(&s.model, .batch(Batch(items: [], dropped: 0, backlog: 0), views, at: at))
        _ = s.press(.char("E"))
        #expect(s.model.overlay == .endpoints)
        let text = s.screen(120, 40).text
        #expect(text.contains("Endpoints (1/2 live)"))
        #expect(text.contains("frames 12345") && text.contains("last node-2 #881") && text.contains("errors 2"))
        #expect(text.contains("connection refused; next try in 1.5s (attempt 3)"))
        expectScreens(s, "endpoints")
        _ = s.press(.escape)
        #expect(s.model.overlay == nil)
    }

    @Test func helpOverlay() {
        var s = Scene.healthy()
        _ = s.press(.char("?"))
        expectScreens(s, "help")
    }

    @Test func terminalTooSmall() {
        let s = Scene.healthy()
        for (w, h) in [(39, 24), (80, 11), (20, 6)] {
            let result = golden.check(s.screen(w, h), named: "too-small-\(w)x\(h)")
            #expect(result.matches, "\(result.message)")
        }
    }

    @Test func asciiMode() {
        let result = golden.check(Scene.healthy().screen(80, 24, symbols: .ascii), named: "healthy-ascii-80x24")
        #expect(result.matches, "\(result.message)")
    }
}
