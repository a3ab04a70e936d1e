import ClusterProtocol
import ClusterSim
import ClusterState
import ClusterdashTesting
import Dashboard
import EventSources
import Foundation
import RenderCore
import Testing

@Suite struct UpdateTests {
    @Test func focusMovesAndWraps() {
        var s = Scene.healthy()
        #expect(s.model.focus == .nodes)
        _ = s.press(.tab, .tab, .tab, .tab)
        #expect(s.model.focus == .log)
        _ = s.press(.tab)
        #expect(s.model.focus == .nodes)
        _ = s.press(.backTab)
        #expect(s.model.focus == .log)
    }

    @Test func movingSelectionStaysInRange() {
        var s = Scene.healthy()
        _ = s.press(.char("j"), .char("j"), .down)
        #expect(s.model.row(.nodes) == 3)
        _ = s.press(.char("G"))
        #expect(s.model.row(.nodes) == 4)
        _ = s.press(.down)
        #expect(s.model.row(.nodes) == 4)
        _ = s.press(.char("g"), .up)
        #expect(s.model.row(.nodes) == 0)
    }

    @Test func logScrollsAndFollows() {
        var s = Scene.healthy()
        _ = s.press(.backTab)
        #expect(s.model.focus == .log)
        _ = s.press(.up, .up, .pageUp)
        #expect(s.model.logScroll == 12)
        _ = s.press(.char("G"))
        #expect(s.model.logScroll == 0)
    }

    @Test func filterTypesAndClears() {
        var s = Scene.healthy()
        _ = s.press(.char("/"))
        #expect(s.model.editingFilter)
        _ = s.press(.char("n"), .char("o"), .char("d"), .char("e"), .char("-"), .char("3"))
        #expect(s.model.logFilter == "node-3")
        _ = s.press(.enter)
        #expect(!s.model.editingFilter)
        #expect(s.model.visibleLog.allSatisfy { $0.text.contains("node-3") || $0.source == "node-3" })
        #expect(!s.model.visibleLog.isEmpty)
        _ = s.press(.escape)
        #expect(s.model.logFilter.isEmpty)
    }

    @Test func helpOpensAndCloses() {
        var s = Scene.healthy()
        _ = s.press(.char("?"))
        #expect(s.model.overlay == .help(scroll: 0))
        _ = s.press(.char("j"))
        #expect(s.model.overlay == .help(scroll: 1))
        _ = s.press(.escape)
        #expect(s.model.overlay == nil)
    }

    @Test func drillIntoPartitionsAndFilter() {
        var s = Scene.healthy()
        _ = s.press(.tab, .tab, .enter)
        guard case .partitions = s.model.overlay else {
            Issue.record("no partition table")
            return
        }
        _ = s.press(.char("/"), .char("n"), .char("o"), .char("d"), .char("e"), .char("-"), .char("2"), .enter)
        #expect(s.model.overlay == .partitions(PartitionsOverlay(scroll: 0, filter: TextField(text: "node-2"))))
        let screen = s.screen(120, 40).text
        #expect(screen.contains("Partitions v1 (36, 0 moved)"))
        _ = s.press(.escape)
        #expect(s.model.overlay == nil)
    }

    @Test func promotionIsSentOnlyAfterConfirmation() {
        var s = Scene.healthy()
        #expect(s.press(.char("p")).isEmpty)
        guard case .promote(let d) = s.model.overlay else {
            Issue.record("no dialog")
            return
        }
        #expect(d.candidates == ["node-2", "node-3", "node-4", "node-5"])
        #expect(s.press(.char("j")).isEmpty)
        let effects = s.press(.char("y"))
        guard case .send(.promote(let id, let node, nil))? = effects.first else {
            Issue.record("nothing sent: \(effects)")
            return
        }
        #expect(node == "node-3")
        // The server's answer and events show in the dialog.
        s.command(.promote(requestID: id, node: node))
        s.run(seconds: 1)
        let screen = s.screen(120, 40).text
        #expect(screen.contains("result: accepted"))
        #expect(screen.contains("node-3 promoted: primary node-1 -> node-3 in term 2"))
        #expect(s.model.state.primaries == ["node-3"])
        // y again does not send twice.
        #expect(s.press(.char("y")).isEmpty)
    }

    @Test func aFailingCheckNeedsTheNodeNameTyped() {
        var s = Scene.healthy()
        s.inject(.degrade(node: "node-4", durationMillis: nil))
        s.run(seconds: 3)
        _ = s.press(.char("j"), .char("j"), .char("j"), .char("p"))
        guard case .promote(let d) = s.model.overlay, d.candidates[d.selected] == "node-4" else {
            Issue.record("not on node-4: \(String(describing: s.model.overlay)) rows \(s.model.nodeRows.map(\.id)) row \(s.model.row(.nodes))")
            return
        }
        #expect(s.press(.char("y")).isEmpty, "y does not send past a failing check")
        #expect(s.press(.char("n"), .char("o"), .char("d"), .char("e"), .char("-"), .char("5"), .enter).isEmpty, "a wrong name sends nothing")
        for _ in 0..<6 { _ = s.press(.backspace) }
        let effects = s.press(.char("n"), .char("o"), .char("d"), .char("e"), .char("-"), .char("4"), .enter)
        guard case .send(.promote(_, "node-4", nil))? = effects.first else {
            Issue.record("not sent: \(effects)")
            return
        }
    }

    @Test func migrationDialogWalksTenantRegionConfirm() {
        var s = Scene.healthy()
        _ = s.press(.char("m"))
        guard case .migrate(let d) = s.model.overlay else {
            Issue.record("no dialog")
            return
        }
        #expect(d.tenants.first == "acme")
        #expect(d.regions == ["ap-south", "eu-west", "us-east"])
        #expect(s.press(.char("y")).isEmpty, "nothing before the confirm step")
        _ = s.press(.enter, .char("j"), .enter, .char("d"))
        let effects = s.press(.char("y"))
        #expect(effects.first == .send(.migrate(requestID: "cd-60000-1", tenant: "acme", target: "eu-west", dryRun: true)))
        guard case .audit(.action(let a))? = effects.last else {
            Issue.record("not audited: \(effects)")
            return
        }
        #expect(a.dialog == ["tenant acme", "from us-east", "to eu-west", "dry run yes"])
    }

    /// `d` toggled "(dry run)" after a migration was sent: the dialog is a
    /// state machine now, and a sent command cannot change.
    @Test func aSentMigrationCannotChangeAndIsAnsweredByItsResult() throws {
        var s = Scene.healthy()
        _ = s.press(.char("m"), .enter, .char("j"), .enter)
        let effects = s.press(.char("y"))
        guard case .send(let op)? = effects.first else {
            Issue.record("nothing sent: \(effects)")
            return
        }
        _ = s.press(.char("d"), .char("j"), .enter)
        guard case .migrate(let d) = s.model.overlay, case .sent(.sent(let id)) = d.phase else {
            Issue.record("not in the sent phase: \(String(describing: s.model.overlay))")
            return
        }
        #expect(!d.dryRun, "d after sending changes nothing")
        let status = s.screen(120, 40).textLines().last ?? ""
        #expect(status.contains("close") && !status.contains("dry run") && !status.contains("send"), "a sent dialog only closes: \(status)")
        #expect(d.regionIndex == 1, "nor does j")
        #expect(s.screen(120, 40).text.contains("result: pending..."))
        #expect(!s.screen(120, 40).text.contains("(dry run)"))
        s.command(op)
        guard case .migrate(let after) = s.model.overlay, case .sent(.answered(let answeredID, let result)) = after.phase else {
            Issue.record("the result did not answer the dialog")
            return
        }
        #expect(answeredID == id)
        #expect(result.status == .accepted)
        #expect(s.screen(120, 40).text.contains("result: accepted"))
    }

    @Test func aPromotionMovesFromChoosingToSentToAnswered() {
        var s = Scene.healthy()
        _ = s.press(.down, .char("p"))
        guard case .promote(let d) = s.model.overlay, d.phase == .choosing else {
            Issue.record("no promotion dialog")
            return
        }
        let effects = s.press(.char("y"))
        guard case .send(let op)? = effects.first, case .promote(let sent) = s.model.overlay,
            case .sent(let id, let candidate) = sent.phase
        else {
            Issue.record("not sent: \(effects)")
            return
        }
        #expect(candidate == "node-2")
        #expect(s.press(.char("j")).isEmpty)
        s.command(op)
        guard case .promote(let answered) = s.model.overlay, case .answered(id, "node-2", let result) = answered.phase else {
            Issue.record("not answered")
            return
        }
        #expect(result.status == .accepted)
    }

    /// The table state was rebuilt every frame, so scrolling up past the
    /// first page kept the selection pinned to the bottom row.
    @Test func scrollingUpMovesTheSelectionNotThePage() {
        var s = Scene { $0.nodes = 40 }
        s.run(seconds: 30)
        s.model.size = Size(width: 100, height: 30)
        #expect(s.model.focus == .nodes)
        let visible = visibleRows(s.model, .nodes)
        #expect(visible > 3 && visible < 40)
        _ = s.press(.char("G"))
        let bottomOffset = s.model.offsets[.nodes] ?? 0
        #expect(bottomOffset == 40 - visible)
        func selectedLine() -> Int? {
            let b = s.screen(100, 30)
            let rows = b.textLines()
            return (0..<30).first { y in b[2, y].style.modifiers.contains(.reverse) && rows[y].contains("node-") }
        }
        let atBottom = selectedLine()
        _ = s.press(.char("k"), .char("k"))
        #expect(s.model.offsets[.nodes] == bottomOffset, "the page stays")
        #expect(selectedLine() == atBottom.map { $0 - 2 }, "the selection moves up the page")
        for _ in 0..<visible { _ = s.press(.char("k")) }
        #expect((s.model.offsets[.nodes] ?? 0) < bottomOffset, "past the top of the page it scrolls")
        let shown = s.model.nodeRows[s.model.row(.nodes)].id
        #expect(s.screen(100, 30).text.contains("\(shown) "), "the selected node is on screen")
    }

    @Test func commandKeysAreListedOnceAsDangerous() {
        let map = Keymap()
        #expect(map.dangerousActions == [.promote, .migrate, .cancelMigration])
        var field = TextField(editing: true)
        #expect(field.handle(.char("a"), keymap: map) == .edited)
        #expect(field.handle(.char("b"), keymap: map) == .edited)
        #expect(field.handle(.backspace, keymap: map) == .edited)
        #expect(field.shown == "a_")
        #expect(field.handle(.enter, keymap: map) == .committed)
        #expect(field.text == "a" && !field.editing)
        field.editing = true
        #expect(field.handle(.escape, keymap: map) == .cleared)
        #expect(field.text.isEmpty)
        for _ in 0..<1_000 { _ = field.handle(.char("x"), keymap: map) }
        #expect(field.text.count == 256, "bounded")
    }

    @Test func cancelNeedsARunningSelectedMigration() {
        var s = Scene.healthy()
        _ = s.press(.char("c"))
        #expect(s.model.overlay == nil)
        #expect(s.model.message == "select a migration in the Migrations pane first")
        s.command(.migrate(requestID: "r-1", tenant: "acme", target: "eu-west", dryRun: false))
        s.run(seconds: 1)
        _ = s.press(.tab, .tab, .tab, .char("c"))
        #expect(s.model.overlay == .cancel(CancelDialog(migrationID: "m-1", tenant: "acme")))
        let effects = s.press(.char("y"))
        guard case .send(.cancelMigration(_, "m-1"))? = effects.first else {
            Issue.record("not sent: \(effects)")
            return
        }
    }

    @Test func snapshotThemeAndQuit() {
        var s = Scene.healthy()
        #expect(s.press(.char("s")) == [.requestSnapshot(endpoint: "ws://10.0.0.5:7400/v1/stream")])
        #expect(s.press(.char("t")) == [.selectTheme("light")])
        #expect(s.press(.char("t")) == [.selectTheme("default")])
        #expect(s.press(.char("q")) == [.quit])
        #expect(s.press(.ctrl("c")) == [.quit])
    }

    @Test func batchesFeedTheStateAndAskForSnapshotsAfterAGap() {
        var s = Scene.healthy()
        let seq = (s.model.state.seqs["node-2"] ?? 0) + 5
        let gap = Envelope(
            id: "gap", source: "node-2", seq: seq, timestamp: s.sim.now,
            event: .stateChangeSuppressed(StateChangeSuppressed(node: "node-2", state: "replica")))
        let effects = update(
            &s.model,
            .batch(
                Batch(items: [Received(envelope: gap, endpoint: 0, receivedAt: s.sim.now)], dropped: 0, backlog: 1), s.model.endpoints, at: s.sim.now)
        )
        #expect(effects == [.requestSnapshot(endpoint: "ws://10.0.0.5:7400/v1/stream")])
    }

    /// Looked at after a flood stopped: the header said "behind 1,720" and
    /// 218,011 ev/s for as long as nothing more came. Both follow the
    /// stream: an empty take clears "behind", and the rate falls to 0
    /// within 5 s of the last batch, on ticks alone.
    @Test func behindAndTheRateEndWithTheBurst() {
        var s = Scene.healthy()
        let t = s.sim.now
        var items: [Received] = []
        var seq = s.model.state.seqs["node-2"] ?? 0
        for i in 0..<1_720 {
            seq += 1
            let lag = ReplicationLag(follower: "node-2", leader: "node-1", lagMillis: Int64(i % 900), lagEntries: 1, walPosition: nil)
            items.append(
                Received(
                    envelope: Envelope(id: "b-\(i)", source: "node-2", seq: seq, timestamp: t, event: .replicationLag(lag)), endpoint: 0,
                    receivedAt: t))
        }
        _ = update(&s.model, .batch(Batch(items: [], dropped: 0, backlog: 0), s.model.endpoints, at: t))
        _ = update(&s.model, .batch(Batch(items: items, dropped: 0, backlog: 1_720), s.model.endpoints, at: t.adding(millis: 1_000)))
        #expect(s.model.feed.behind == 1_720)
        let burst = s.model.eventsPerSecond
        #expect(burst >= 344, "1,720 events within the last 5 s")
        _ = update(&s.model, .batch(Batch(items: [], dropped: 0, backlog: 0), s.model.endpoints, at: t.adding(millis: 1_100)))
        #expect(s.model.feed.behind == 0)
        _ = update(&s.model, .tick(t.adding(millis: 4_000)))
        #expect(s.model.eventsPerSecond > 0 && s.model.eventsPerSecond < burst)
        _ = update(&s.model, .tick(t.adding(millis: 7_000)))
        #expect(s.model.eventsPerSecond == 0)
    }

    @Test func messagesExpireOnTicks() {
        var s = Scene.healthy()
        _ = s.press(.char("s"))
        #expect(s.model.message != nil)
        _ = update(&s.model, .tick(s.sim.now.adding(millis: 6_000)))
        #expect(s.model.message == nil)
    }

    @Test func resizeStormNeverBreaksRendering() async {
        var s = Scene.healthy()
        _ = s.press(.char("p"))
        var rng = SplitMix64(seed: 11)
        for i in 0..<300 {
            if i % 25 == 0 { await Task.yield() }
            let w = Int(rng.next() % 260)
            let h = Int(rng.next() % 90)
            _ = update(&s.model, .resize(Size(width: w, height: h)))
            let b = s.screen(w, h)
            #expect(b.size == Size(width: w, height: h))
        }
    }
}
