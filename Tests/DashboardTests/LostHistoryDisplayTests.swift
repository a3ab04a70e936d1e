import ClusterProtocol
import ClusterSim
import ClusterState
import ClusterdashTesting
import Dashboard
import EventSources
import RenderCore
import Testing

/// A stretch of history the dashboard never received is shown as missing
/// in the alerts, the log and the bundle (issue 23), never skipped.
@Suite struct LostHistoryDisplayTests {
    @Test func aSnapshotPastTheLastEventIsAnAlertALogLineAndABundleSection() throws {
        var m = AppModel(now: t0)
        var f = EnvelopeFactory(start: t0)
        func feed(_ e: Envelope) {
            m.now = e.timestamp
            _ = update(
                &m, .batch(Batch(items: [Received(envelope: e, endpoint: 0, receivedAt: e.timestamp)], dropped: 0, backlog: 1), [], at: e.timestamp))
        }
        feed(f.make(.snapshot(EnvelopeFactory.healthySnapshot(seqs: ["node-1": 1]))))
        f.lose(1, from: "node-1")
        feed(f.make(.electionStarted(ElectionStarted(term: 8, candidate: "node-2"))))
        #expect(IncidentBundle.markdown(m).contains("## History not received\n\nnone"))
        f.advance(37_000)
        let snap = f.make(.snapshot(EnvelopeFactory.healthySnapshot(seqs: ["node-1": 1_500])))
        feed(snap)
        let lost = try #require(m.state.lostHistory.last)
        let window = "\(lost.from.clockTime)-\(lost.to.clockTime)"
        let sentence = "history lost \(window): 1498 events of node-1 never received"
        #expect(currentAlerts(m).contains { $0.severity == .warning && $0.text == sentence }, "\(currentAlerts(m).map(\.text))")
        #expect(m.state.log.contains { $0.text == sentence })
        let md = IncidentBundle.markdown(m)
        #expect(md.contains("## History not received\n\n- \(lost.from.rfc3339) to \(lost.to.rfc3339): \(sentence)"), "\(md)")
        // Still an alert a while later; gone after the incident view's reach, the log keeps it.
        m.now = snap.timestamp.adding(millis: lostHistoryAlertMillis + 1)
        #expect(!currentAlerts(m).contains { $0.text == sentence })
    }
}
