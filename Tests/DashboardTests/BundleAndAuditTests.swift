import ClusterProtocol
import ClusterSim
import ClusterState
import ClusterdashTesting
import Dashboard
import EventSources
import RenderCore
import Testing

@Suite struct BundleAndAuditTests {
    @Test func bundleHasEverySectionAndReplaysToTheSameState() {
        var s = Scene.incident()
        _ = s.press(.char("i"))
        #expect(s.press(.char("e")) == [.exportBundle])
        let md = IncidentBundle.markdown(s.model)
        for section in [
            "# Incident report: prod-east", "## Summary", "## Alerts now", "## Roles at the start", "## Roles now", "## Promotions",
            "## Operator actions", "## Timeline",
        ] {
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
        let line = AuditRecord.action(a).jsonLine()
        #expect(line.contains(#""kind":"action""#) && line.contains(#""target":"node-2""#) && !line.contains("cluster"))
        // A fleet writes one audit log for every cluster: each line names its own.
        #expect(AuditRecord.action(a).jsonLine(cluster: "prod-east").hasPrefix(#"{"cluster":"prod-east","#))
        // The result arrives later and is audited too.
        let out = s.sim.handle(.promote(requestID: a.requestID ?? "", node: "node-2"), scope: .operate)
        let fx = update(
            &s.model,
            .batch(
                Batch(items: [Received(envelope: out.result, endpoint: 0, receivedAt: s.sim.now)], dropped: 0, backlog: 1), s.model.endpoints,
                at: s.sim.now))
        #expect(fx.contains { if case .audit(.result(_, _, "accepted", _, _)) = $0 { true } else { false } })
        // And the action shows in the incident timeline.
        #expect(incidentTimeline(s.model).contains { $0.isOperator && $0.text.contains("OPERATOR promote node-2") })
    }
}
