import ClusterProtocol
import ClusterSim
import ClusterState
import ClusterdashTesting
import Dashboard
import EventSources
import RenderCore
import Testing

/// Two of three NATS servers down (issue 23): the publisher holds what
/// JetStream cannot store, and every dashboard says so in its header and
/// its alerts, with the stretch it will receive later.
@Suite struct HeldUpstreamGoldenTests {
    @Test func aPublisherHoldingEventsIsInTheHeaderAndTheAlerts() {
        var s = Scene.healthy()
        var stats = EndpointStats()
        stats.heldUpstream = HeldUpstream(events: 9_000, since: s.sim.now.adding(millis: -31_000))
        stats.warning =
            "publisher gw-a holds 9000 events since \(s.sim.now.adding(millis: -31_000).clockTime), waiting for the stream's leader: they are stored in order once JetStream takes them"
        let views = [
            EndpointView(
                name: "nats://127.0.0.1:14231,127.0.0.1:14232,127.0.0.1:14233/prod-east",
                status: .connecting(attempt: 3, lastError: "JetStream cannot serve CLUSTERDASH_prod-east now: no answer in time"), stats: stats)
        ]
        _ = update(&s.model, .batch(Batch(items: [], dropped: 0, backlog: 0), views, at: s.sim.now))
        #expect(currentAlerts(s.model).contains { $0.text == stats.warning })
        expectScreens(s, "held-upstream")
    }
}
