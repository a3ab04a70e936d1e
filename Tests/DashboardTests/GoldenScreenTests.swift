import ClusterProtocol
import ClusterSim
import ClusterState
import ClusterdashTesting
import Dashboard
import RenderCore
import Testing

private let golden = GoldenScreen()
private let sizes = [(80, 24), (120, 40), (200, 60)]

private func expectScreens(_ scene: Scene, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) {
    for (w, h) in sizes {
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
