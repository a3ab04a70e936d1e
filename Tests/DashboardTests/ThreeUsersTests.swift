import ClusterProtocol
import ClusterSim
import ClusterState
import ClusterdashTesting
import Dashboard
import EventSources
import RenderCore
import Testing

private let golden = GoldenScreen(slotNames: Dictionary(AppSlot.named.map { ($0.1, $0.0) }, uniquingKeysWith: { a, _ in a }))

private func expectScreen(_ scene: Scene, _ name: String, _ w: Int, _ h: Int, sourceLocation: SourceLocation = #_sourceLocation) {
    let result = golden.check(scene.screen(w, h), named: name)
    #expect(result.matches, "\(result.message)", sourceLocation: sourceLocation)
}

extension Scene {
    static func wall() -> Scene {
        var s = Scene.healthy()
        s.model.wall = true
        s.model.readOnly = true
        s.model.modeBadge = "WALL"
        return s
    }

    /// Several things wrong at once: a crashed primary mid-election, a lagging
    /// follower, a degraded node, and an operator's denied promotion.
    static func incident() -> Scene {
        var s = Scene.healthy()
        s.inject(.lagSpike(node: "node-3", millis: 70_000, durationMillis: 120_000))
        s.run(seconds: 4)
        s.inject(.degrade(node: "node-4", durationMillis: nil))
        s.run(seconds: 1.5)
        s.command(.promote(requestID: "r-9", node: "node-3"))
        s.inject(.crash(node: "node-1"))
        s.run(seconds: 0.1)
        return s
    }
}

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
        s.feed([Envelope(id: "rogue", source: "node-4", seq: seq, timestamp: s.sim.now, event: .roleChanged(RoleChanged(node: "node-4", from: .replica, to: .primary, term: 1, reason: nil)))])
        #expect(wallStatus(s.model) == .splitBrain)
        #expect(s.model.view == .incident, "the wall switches to the incident layout by itself")
        expectScreen(s, "wall-split-brain-120x40", 120, 40)
    }

    @Test func wallDisconnected() {
        var s = Scene.wall()
        let at = s.sim.now.adding(millis: 95_000)
        let views = [EndpointView(name: "ws://10.0.0.5:7400/v1/stream", status: .backingOff(until: at.adding(millis: 4_000), attempt: 3, reason: "connection refused"))]
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

@Suite struct AlertTests {
    @Test func alertsAreOrderedBySeverityWithStartTimes() {
        let s = Scene.incident()
        let alerts = currentAlerts(s.model)
        let severities = alerts.map(\.severity)
        #expect(severities == severities.sorted(by: >), "worst first")
        #expect(alerts.first?.key == "no-primary")
        let keys = alerts.map(\.key)
        #expect(keys.contains("lag:node-3"))
        #expect(keys.contains("health:node-4"))
        #expect(keys.contains("orphans"))
        #expect(alerts.allSatisfy { $0.since != nil })
        // The lag alert began when the lag crossed the threshold, before the crash.
        let lagSince = alerts.first { $0.key == "lag:node-3" }?.since
        let crashSince = alerts.first { $0.key == "no-primary" }?.since
        #expect(lagSince != nil && crashSince != nil && lagSince! < crashSince!)
        #expect(s.model.incidentStart == lagSince)
    }

    @Test func healthyClusterHasNoIncident() {
        let s = Scene.healthy()
        #expect(currentAlerts(s.model).filter { $0.severity >= .warning }.isEmpty)
        #expect(s.model.incidentStart == nil)
        #expect(wallStatus(s.model) == .ok)
    }
}

@Suite struct BundleAndAuditTests {
    @Test func bundleHasEverySectionAndReplaysToTheSameState() {
        var s = Scene.incident()
        _ = s.press(.char("i"))
        #expect(s.press(.char("e")) == [.exportBundle])
        let md = IncidentBundle.markdown(s.model)
        for section in ["# Incident report: prod-east", "## Summary", "## Alerts now", "## Roles at the start", "## Roles now", "## Promotions", "## Operator actions", "## Timeline"] {
            #expect(md.contains(section), "missing \(section)")
        }
        #expect(md.contains("| node-1 | primary |"), "node-1 was primary at the start")
        #expect(md.contains("| node-1 | left (crashed) |"))
        #expect(md.contains("promotion of node-3 denied"))
        #expect(md.contains("node-1 left: crashed"))
        let jsonl = IncidentBundle.eventsJSONL(s.model)
        let recording = Recording.parse(jsonl)
        #expect(recording.malformedLines == 0)
        #expect(!recording.events.isEmpty)
        // The window starts before the incident; replayed from the first
        // snapshot it ends in the state shown now.
        var full = ClusterState()
        for e in s.model.recent { full.apply(e) }
        #expect(full.primaries == s.model.state.primaries)
        #expect(full.nodes == s.model.state.nodes)
    }

    @Test func operatorActionsAreAuditedWithTheirDialogAndResult() {
        var s = Scene.healthy()
        _ = s.press(.char("p"))
        let effects = s.press(.char("y"))
        guard case .audit(.action(let a))? = effects.last else {
            Issue.record("no audit: \(effects)")
            return
        }
        #expect(a.op == "promote")
        #expect(a.target == "node-2")
        #expect(a.confirmation == "y")
        #expect(a.dialog.count == 6)
        #expect(a.dialog[2].hasPrefix("ok candidate_caught_up: lag"))
        let line = AuditRecord.action(a).jsonLine
        #expect(line.contains(#""kind":"action""#) && line.contains(#""target":"node-2""#))
        // The result arrives later and is audited too.
        let out = s.sim.handle(.promote(requestID: a.requestID ?? "", node: "node-2"), scope: .operate)
        let fx = update(&s.model, .batch(Batch(items: [Received(envelope: out.result, endpoint: 0, receivedAt: s.sim.now)], dropped: 0, backlog: 1), s.model.endpoints, at: s.sim.now))
        #expect(fx.contains { if case .audit(.result(_, _, "accepted", _, _)) = $0 { true } else { false } })
        // And the action shows in the incident timeline.
        #expect(incidentTimeline(s.model).contains { $0.isOperator && $0.text.contains("OPERATOR promote node-2") })
    }
}

@Suite struct RewindTests {
    /// The state after the first `n` envelopes, computed independently.
    func reduce(_ es: ArraySlice<Envelope>) -> ClusterState {
        var s = ClusterState()
        for e in es { s.apply(e) }
        return s
    }

    @Test func theStateAtTIsTheReducerOverTheEventsUpToT() {
        var s = Scene()
        s.model.recentCapacity = 400  // small, so trimming and the base are exercised
        s.run(seconds: 30)
        s.inject(.crash(node: "node-1"))
        s.run(seconds: 30)
        let live = s.model.state
        _ = s.press(.char("{"))
        guard let r = s.model.rewind else {
            Issue.record("not rewinding")
            return
        }
        // Which envelope is it? The same one in the full history.
        let offset = s.history.count - s.model.recent.count
        let expected = reduce(s.history.prefix(offset + r.index + 1))
        #expect(r.state.nodes == expected.nodes)
        #expect(r.state.followers == expected.followers)
        #expect(r.state.assignment == expected.assignment)
        #expect(r.state.seqs == expected.seqs)
        #expect(Array(r.state.log) == Array(expected.log))
        // A minute back reaches past the kept history: it stops at the oldest
        // event held (400 here), which is before the crash.
        #expect(r.index == 0)
        #expect(r.at > s.sim.now.adding(millis: -60_000))
        #expect(r.state.primaries == ["node-1"])
        #expect(s.model.state.primaries == ["node-1"], "the screen shows the past")
        let screen = s.screen(120, 40).text
        #expect(screen.contains("REWIND -\(s.sim.now.millis(since: r.at) / 1000)s"))
        // Step by step, and the live stream keeps being applied underneath.
        _ = s.press(.char("]"), .char("]"))
        #expect(s.model.rewind?.index == r.index + 2)
        s.run(seconds: 2)
        #expect(s.model.feed.state.counters.applied > live.counters.applied)
        #expect(s.press(.char("p")).isEmpty)
        _ = s.press(.escape)
        #expect(s.model.rewind == nil)
        #expect(s.model.state.primaries == s.model.feed.state.primaries)
        #expect(s.model.state.primaries != ["node-1"])
    }

    @Test func rewindBadgeGolden() {
        var s = Scene.healthy()
        s.inject(.crash(node: "node-1"))
        s.run(seconds: 5)
        _ = s.press(.char("{"))
        // A minute back, with the default history, is a minute back.
        #expect(s.model.rewind.map { s.sim.now.millis(since: $0.at) } ?? 0 >= 59_000)
        _ = s.press(.char("]"), .char("]"))
        let result = golden.check(s.screen(120, 40), named: "rewind-120x40")
        #expect(result.matches, "\(result.message)")
    }
}

@Suite struct VersionDisagreementTests {
    @Test func disagreeingAssignmentVersionsAlertAfterTheGracePeriod() {
        var s = Scene.healthy()
        func heartbeat(_ node: String, _ version: Int64) -> Envelope {
            let seq = (s.model.state.seqs[node] ?? 0) + 1
            return Envelope(
                id: "hb-\(node)-\(seq)", source: node, seq: seq, timestamp: s.sim.now,
                event: .heartbeat(NodeHeartbeat(node: node, role: .replica, health: .healthy, term: 1, assignmentVersion: version)))
        }
        #expect(s.model.state.nodes["node-2"]?.assignmentVersion == 1, "the simulator's heartbeats carry the version")
        s.feed([heartbeat("node-3", 0)])
        #expect(!currentAlerts(s.model).contains { $0.key == "versions" }, "within the grace period")
        // Time passes; node-3 keeps saying v0.
        _ = update(&s.model, .tick(s.sim.now.adding(millis: 31_000)))
        let alert = currentAlerts(s.model).first { $0.key == "versions" }
        #expect(alert?.text.hasPrefix("assignment versions disagree for 31 s: v0: node-3; v1: node-1,node-2,node-4,node-5") == true, "\(String(describing: alert))")
        s.feed([heartbeat("node-3", 1)])
        _ = update(&s.model, .tick(s.sim.now.adding(millis: 32_000)))
        #expect(!currentAlerts(s.model).contains { $0.key == "versions" })
    }
}

@Suite struct RewindAssignmentTests {
    @Test func rewoundPartitionTableHighlightsWhatMovedInThatVersion() {
        var s = Scene.healthy()
        s.inject(.crash(node: "node-4"))  // an emergency rebalance: v2 moves node-4's partitions
        s.run(seconds: 2)
        let moved = s.model.state.assignment?.movedPartitions ?? []
        #expect(!moved.isEmpty)
        _ = s.press(.char("["))  // the past, after v2
        #expect(s.model.state.assignment?.version == 2)
        _ = s.press(.tab, .tab, .enter)
        let screen = s.screen(120, 40).text
        #expect(screen.contains("Partitions v2 (256, \(moved.count) moved)"))
        #expect(screen.contains("moved"))
    }
}
