import ClusterProtocol
import ClusterSim
import ClusterState
import ClusterdashTesting
import Dashboard
import EventSources
import Foundation
import RenderCore
import Testing

@Suite struct KeymapTests {
    @Test func noContextHasTwoActionsOnOneKey() {
        let conflicts = Keymap().conflicts
        #expect(conflicts.isEmpty, "\(conflicts.map { "\($0.0) in \($0.1): \($0.2) and \($0.3)" })")
    }

    @Test func noDestructiveActionOnControlKeysThatLookLikeOthers() {
        let destructive: Set<Action> = [.quit, .promote, .migrate, .cancelMigration, .confirm]
        for letter in ["d", "k", "m", "i", "h"] {
            for ctx in KeyContext.allCases {
                if let a = Keymap().action(for: .ctrl(Character(letter)), in: ctx) {
                    #expect(!destructive.contains(a), "Ctrl-\(letter) does \(a) in \(ctx)")
                }
            }
        }
        // Ctrl-C quits only from the dashboard itself.
        #expect(Keymap().action(for: .ctrl("c"), in: .normal) == .quit)
        #expect(Keymap().action(for: .ctrl("c"), in: .dialog) == nil)
    }

    @Test func everyActionOfTheBriefHasAKey() {
        let map = Keymap()
        let expected: [(Key, Action)] = [
            (.char("?"), .help), (.tab, .focusNext), (.backTab, .focusPrevious), (.char("j"), .down), (.char("k"), .up),
            (.down, .down), (.up, .up), (.char("g"), .top), (.char("G"), .bottom), (.enter, .drill), (.escape, .back),
            (.char("/"), .filter), (.char("p"), .promote), (.char("m"), .migrate), (.char("c"), .cancelMigration),
            (.char("s"), .snapshot), (.char("t"), .nextTheme), (.char("q"), .quit),
        ]
        for (key, action) in expected {
            #expect(map.action(for: key, in: .normal) == action, "\(key)")
        }
    }

    @Test func helpAndStatusComeFromTheTable() {
        let map = Keymap()
        let help = map.helpLines()
        #expect(help.count == map.bindings.count)
        #expect(help.contains { $0.keys == "p" && $0.help == "promote a replica" })
        let status = map.statusHints(.normal, pane: .migrations).map(\.help)
        #expect(status.contains("cancel"))
        #expect(!map.statusHints(.normal, pane: .nodes).map(\.help).contains("cancel"))
    }
}

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
        guard case .send(.promote(let id, let node))? = effects.first else {
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
        guard case .send(.promote(_, "node-4"))? = effects.first else {
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
        let gap = Envelope(id: "gap", source: "node-2", seq: seq, timestamp: s.sim.now, event: .stateChangeSuppressed(StateChangeSuppressed(node: "node-2", state: "replica")))
        let effects = update(&s.model, .batch(Batch(items: [Received(envelope: gap, endpoint: 0, receivedAt: s.sim.now)], dropped: 0, backlog: 1), s.model.endpoints, at: s.sim.now))
        #expect(effects == [.requestSnapshot(endpoint: "ws://10.0.0.5:7400/v1/stream")])
    }

    @Test func messagesExpireOnTicks() {
        var s = Scene.healthy()
        _ = s.press(.char("s"))
        #expect(s.model.message != nil)
        _ = update(&s.model, .tick(s.sim.now.adding(millis: 6_000)))
        #expect(s.model.message == nil)
    }

    @Test func resizeStormNeverBreaksRendering() {
        var s = Scene.healthy()
        _ = s.press(.char("p"))
        var rng = SplitMix64(seed: 11)
        for _ in 0..<300 {
            let w = Int(rng.next() % 260)
            let h = Int(rng.next() % 90)
            _ = update(&s.model, .resize(Size(width: w, height: h)))
            let b = s.screen(w, h)
            #expect(b.size == Size(width: w, height: h))
        }
    }
}

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

@Suite struct CheatSheetTests {
    @Test func theReadmeKeyTableIsTheKeymap() throws {
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../README.md").standardized
        let text = try String(contentsOf: readme, encoding: .utf8)
        let sheet = Keymap().markdownCheatSheet()
        #expect(text.contains(sheet), "README.md's key table is out of date; paste:\n\(sheet)")
    }
}

@Suite struct ConfigTests {
    @Test func clustersThresholdsAndKeys() throws {
        let config = try ConfigFile.parse(
            toml: """
                default_cluster = "prod"
                theme = "light"
                [clusters.prod]
                endpoints = ["wss://a:7400/v1/stream", "wss://b:7400/v1/stream"]
                token_env = "PROD_TOKEN"
                lag_warn = "20s"
                lag_crit = "1m"
                [keys]
                promote = "P"
                quit = ["Q", "Ctrl-c"]
                """)
        #expect(config.defaultCluster == "prod")
        #expect(config.theme == "light")
        let prod = try #require(config.clusters["prod"])
        #expect(prod.endpoints.count == 2)
        #expect(prod.tokenEnv == "PROD_TOKEN")
        #expect(prod.lagWarnMillis == 20_000)
        #expect(prod.lagCritMillis == 60_000)
        let map = Keymap().overriding(config.keys)
        #expect(map.action(for: .char("P"), in: .normal) == .promote)
        #expect(map.action(for: .char("p"), in: .normal) == nil)
        #expect(map.action(for: .char("Q"), in: .normal) == .quit)
        #expect(map.action(for: .char("q"), in: .normal) == nil)
        #expect(map.conflicts.isEmpty)
    }

    @Test func aKeyTakenByAnOverrideLeavesItsOldAction() {
        let map = Keymap().overriding([.snapshot: [.char("p")]])
        #expect(map.action(for: .char("p"), in: .normal) == .snapshot)
        #expect(map.conflicts.isEmpty)
    }

    @Test func configErrorsSayWhere() {
        #expect(configError("[keys]\nexplode = \"x\"\n")?.hasPrefix("config.toml:2: keys.explode: no such action") == true)
        #expect(configError("[keys]\nquit = \"Hyper-q\"\n") == "config.toml:2: keys.quit: unknown key `Hyper-q`")
        #expect(
            configError("[clusters.a]\nendpoints = [\"ws://a/v1/stream\"]\nlag_warn = \"soon\"\n")
                == "config.toml:3: clusters.a.lag_warn: not a duration (like 500ms, 30s, 1m30s)")
    }

    /// The parse error as the user reads it (nil: it parsed).
    func configError(_ toml: String, path: String = "config.toml") -> String? {
        do {
            _ = try ConfigFile.parse(toml: toml, path: path)
            return nil
        } catch {
            return error.description
        }
    }

    /// Found when tried as a new user would: `endpoints = 1` was skipped, and
    /// `--cluster prod` then opened the demo. Every type error is an error
    /// naming the file, the line and the field.
    @Test func aFieldOfTheWrongTypeIsAnErrorWithFileLineAndField() {
        let prod = "# production\ndefault_cluster = \"prod\"\n\n[clusters.prod]\n"
        let cases: [(String, String)] = [
            (prod + "endpoints = 1\n", "/etc/cd.toml:5: clusters.prod.endpoints: expected an array of strings, found an integer"),
            (prod + "endpoints = \"ws://a/v1/stream\"\n", "/etc/cd.toml:5: clusters.prod.endpoints: expected an array of strings, found a string"),
            (prod + "endpoints = [\"ws://a/v1/stream\", 7]\n", "/etc/cd.toml:5: clusters.prod.endpoints[1]: expected a string, found an integer"),
            (prod + "endpoints = []\n", "/etc/cd.toml:5: clusters.prod.endpoints: empty: a cluster needs at least one ws:// or wss:// URL"),
            (prod + "token_env = \"T\"\n", "/etc/cd.toml:4: clusters.prod.endpoints: missing: a cluster needs at least one ws:// or wss:// URL"),
            (prod + "endpoints = [\"http://a/v1/stream\"]\n", "/etc/cd.toml:5: clusters.prod.endpoints[0]: not a ws:// or wss:// URL: http://a/v1/stream"),
            (prod + "endpoints = [\"ws://u:secret@a/v1/stream\", \"x://u:secret@a\"]\n", "/etc/cd.toml:5: clusters.prod.endpoints[1]: not a ws:// or wss:// URL"),
            (prod + "endpoints = [\"ws://a/v1/stream\"]\nread_only = \"yes\"\n", "/etc/cd.toml:6: clusters.prod.read_only: expected true or false, found a string"),
            (prod + "endpoints = [\"ws://a/v1/stream\"]\ntoken_env = 5\n", "/etc/cd.toml:6: clusters.prod.token_env: expected a string, found an integer"),
            (prod + "endpoints = [\"ws://a/v1/stream\"]\nlag_warn = 30\n", "/etc/cd.toml:6: clusters.prod.lag_warn: expected a duration such as \"30s\", found an integer"),
            (prod + "endpoints = [\"ws://a/v1/stream\"]\nlag_warn = \"2m\"\nlag_crit = \"1m\"\n", "/etc/cd.toml:6: clusters.prod.lag_warn: the warning threshold is above lag_crit"),
            (prod + "endpoints = [\"ws://a/v1/stream\"]\ntoken = \"hunter2\"\n", "/etc/cd.toml:6: clusters.prod.token: unknown key (known: ca_file, endpoints, lag_crit, lag_warn, read_only, theme, token_env)"),
            ("default_cluster = \"prod\"\n[clusters.staging]\nendpoints = [\"ws://a/v1/stream\"]\n", "/etc/cd.toml:1: default_cluster: no cluster \"prod\" in this file (have: staging)"),
            ("clusters = 3\n", "/etc/cd.toml:1: clusters: expected a table, found an integer"),
            ("[clusters]\nprod = \"ws://a\"\n", "/etc/cd.toml:2: clusters.prod: expected a table, found a string"),
            ("theme = [\"dark\"]\n", "/etc/cd.toml:1: theme: expected a string, found an array"),
            ("colour = \"x\"\n", "/etc/cd.toml:1: colour: unknown key (known: clusters, default_cluster, keys, theme)"),
            ("[clusters.prod\nendpoints = 1\n", "/etc/cd.toml:1: not valid TOML"),
        ]
        for (toml, expected) in cases {
            let got = configError(toml, path: "/etc/cd.toml")
            #expect(got?.hasPrefix(expected) == true, "\(toml)\ngot: \(got ?? "no error")\nwanted: \(expected)")
        }
        // The value of an unknown key is never echoed (it may be a credential).
        #expect(configError(prod + "endpoints = [\"ws://a/v1/stream\"]\ntoken = \"hunter2\"\n")?.contains("hunter2") == false)
        #expect(configError(prod + "endpoints = [\"x://u:secret@a\"]\n")?.contains("secret") == false)
    }

    @Test func linesAreFoundPastMultiLineValuesAndDottedKeys() {
        let toml = """
            theme = \"\"\"
            endpoints = 1
            \"\"\"
            [clusters.prod]
            endpoints = [
              "ws://a/v1/stream",
              "ws://b/v1/stream",
            ]
            "read_only" = 1
            """
        #expect(configError(toml)?.hasPrefix("config.toml:9: clusters.prod.read_only: expected true or false") == true, "\(configError(toml) ?? "")")
        #expect(configError("clusters.prod.endpoints = [\"ws://a/v1/stream\"]\nclusters.prod.theme = 1\n") == "config.toml:2: clusters.prod.theme: expected a string, found an integer")
    }
}

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

/// The kept history holds what the state took: a duplicate delivered again
/// (another endpoint, a replay) is not kept twice, so the rewind base, which
/// skips the duplicate check, builds the same state as the live one.
@Suite struct KeptHistoryTests {
    @Test func duplicatesAreNotKeptAndTheRewindBaseMatchesTheLiveState() {
        var f = EnvelopeFactory()
        var m = AppModel(now: f.now)
        m.recentCapacity = 40  // small, so the base is fed by trimming
        var delivered = 0
        for round in 0..<30 {
            var items: [Envelope] = []
            for k in 0..<4 {
                let node = "node-\(2 + k)"
                items.append(
                    f.make(
                        .replicationLag(ReplicationLag(follower: node, leader: "node-1", lagMillis: Int64(round * 10 + k), lagEntries: 1, walPosition: nil)),
                        source: node))
            }
            items.append(f.make(.healthChanged(HealthChanged(node: "node-3", from: .healthy, to: round % 2 == 0 ? .suspect : .healthy, consecutiveFailures: 1, detail: nil)), source: "node-1"))
            // Every round also carries two envelopes of the round before again.
            let batch = items + (round > 0 ? Array(m.recent.suffix(2)) : [])
            delivered += batch.count
            _ = update(&m, .batch(Batch(items: batch.map { Received(envelope: $0, endpoint: 0, receivedAt: $0.timestamp) }, dropped: 0, backlog: 0), [], at: f.now))
        }
        #expect(m.feed.state.counters.duplicates == 58)
        #expect(Set(m.recent.map(\.id)).count == m.recent.count, "no id kept twice")
        let rebuilt = stateAfter(m, index: m.recent.count - 1)
        #expect(rebuilt.followers == m.feed.state.followers)
        #expect(rebuilt.nodes == m.feed.state.nodes)
        #expect(Array(rebuilt.log) == Array(m.feed.state.log))
        #expect(delivered == 30 * 5 + 58)
    }
}
