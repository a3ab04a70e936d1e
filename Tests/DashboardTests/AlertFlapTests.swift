import ClusterProtocol
import ClusterState
import EventSources
import RenderCore
import Testing

@testable import Dashboard

/// A health that toggles is one alert with a flap count, listed (dim) while
/// it is clear and forgotten after the window; `a` acknowledges what is
/// listed, in the audit log and the bundle.
@Suite struct AlertFlapTests {
    /// node-9 (no node of the simulation, which would heal it) turns `health`, 10 s later.
    func toggle(_ s: inout Scene, _ stamper: inout EnvelopeStamper, to health: NodeHealth, from: NodeHealth) {
        let t = s.model.now.adding(millis: 10_000)
        let e = stamper.stamp(
            .healthChanged(HealthChanged(node: "node-9", from: from, to: health, consecutiveFailures: 3, detail: nil)), from: "probe", at: t)
        _ = update(&s.model, .batch(Batch(items: [Received(envelope: e, endpoint: 0, receivedAt: t)], dropped: 0, backlog: 1), [], at: t))
    }

    func listed(_ s: Scene) -> [Alert] { listedAlerts(s.model).filter { $0.key == "unhealthy:node-9" } }

    @Test func aTogglingHealthIsOneAlertWithAFlapCount() throws {
        var s = Scene.healthy()
        var stamper = EnvelopeStamper(idPrefix: "flap-")
        toggle(&s, &stamper, to: .unhealthy, from: .healthy)
        let first = try #require(listed(s).first)
        #expect(first.flaps == 0)
        let since = try #require(first.since)
        for _ in 0..<3 {
            toggle(&s, &stamper, to: .healthy, from: .unhealthy)
            toggle(&s, &stamper, to: .unhealthy, from: .healthy)
        }
        let flapping = listed(s)
        #expect(flapping.count == 1, "one alert, not one per toggle")
        #expect(flapping.first?.flaps == 3)
        #expect(flapping.first?.flappingSince == since, "the flapping began when it first came")
        #expect(flapping.first.flatMap(\.since).map { $0 > since } == true, "this occurrence began later")
        // Clear now: still listed, dim, with its count, for the window.
        toggle(&s, &stamper, to: .healthy, from: .unhealthy)
        let clear = try #require(listed(s).first)
        #expect(clear.clearedAt != nil)
        #expect(!currentAlerts(s.model).contains { $0.key == "unhealthy:node-9" })
        s.model.view = .incident
        #expect(s.screen(140, 40).text.contains("flapping 4x since \(since.clockTime), clear for"))
        // Clear for longer than the window: forgotten.
        _ = update(&s.model, .tick(s.model.now.adding(millis: flapWindowMillis + 1_000)))
        #expect(listed(s).isEmpty)
        #expect(s.model.alertMemory["unhealthy:node-9"] == nil)
    }

    @Test func aAcknowledgesTheListedAlertsAuditedAndInTheBundle() throws {
        var s = Scene.healthy()
        var stamper = EnvelopeStamper(idPrefix: "ack-")
        toggle(&s, &stamper, to: .unhealthy, from: .healthy)
        // Outside the incident view it says where it works.
        #expect(s.press(.char("a")).isEmpty)
        _ = s.press(.char("i"))
        let effects = s.press(.char("a"))
        guard case .audit(.action(let action))? = effects.first else {
            Issue.record("not audited: \(effects)")
            return
        }
        #expect(action.op == "acknowledge")
        #expect(action.target.contains("unhealthy:node-9"))
        #expect(listed(s).first?.ack?.by == s.model.operatorName)
        #expect(s.screen(140, 40).text.contains("ack \(s.model.operatorName)"))
        #expect(IncidentBundle.markdown(s.model).contains("acknowledged by \(s.model.operatorName)"))
        // The ack holds through a flap; a second `a` has nothing new to do.
        toggle(&s, &stamper, to: .healthy, from: .unhealthy)
        toggle(&s, &stamper, to: .unhealthy, from: .healthy)
        #expect(listed(s).first?.ack != nil)
        #expect(s.press(.char("a")).isEmpty)
        #expect(s.model.message == "every alert is acknowledged already")
        // Nothing listed: nothing to acknowledge, and it says so.
        var calm = Scene.healthy()
        _ = calm.press(.char("i"))
        #expect(calm.press(.char("a")).isEmpty)
        #expect(calm.model.message == "no alert to acknowledge")
    }
}
