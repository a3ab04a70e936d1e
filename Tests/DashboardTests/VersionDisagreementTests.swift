import ClusterProtocol
import ClusterSim
import ClusterState
import ClusterdashTesting
import Dashboard
import EventSources
import RenderCore
import Testing

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
        #expect(
            alert?.text.hasPrefix("assignment versions disagree for 31 s: v0: node-3; v1: node-1,node-2,node-4,node-5") == true,
            "\(String(describing: alert))")
        s.feed([heartbeat("node-3", 1)])
        _ = update(&s.model, .tick(s.sim.now.adding(millis: 32_000)))
        #expect(!currentAlerts(s.model).contains { $0.key == "versions" })
    }
}
