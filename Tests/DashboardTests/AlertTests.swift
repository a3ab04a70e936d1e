import ClusterProtocol
import ClusterSim
import ClusterState
import ClusterdashTesting
import Dashboard
import EventSources
import RenderCore
import Testing

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
