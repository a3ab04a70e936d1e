import ClusterProtocol
import ClusterdashTesting
import Foundation
import Testing

@testable import ProtocolV1Server

/// `/metrics` (Prometheus' text format): the server's counts as they are at
/// each scrape, every command result by status, and nothing at all where
/// no metrics were asked for.
@Suite(.serialized) struct ServerMetricsTests {
    static let orders = MetricDefinition("test_orders_total", .counter, labels: ["shop"], help: "Orders.")
    static let open = MetricDefinition("test_open", .gauge, help: "Open now.")

    func lines(_ text: String) -> Set<String> { Set(text.split(separator: "\n").map(String.init)) }

    /// A counter shows the total it was given at each scrape, never the
    /// sum of scrapes; a gauge its level; a sample whose labels do not match
    /// its definition is left out rather than trapping the registry.
    @Test func eachScrapeShowsTheTotalsAsTheyAreNow() {
        let metrics = ServerMetrics(source: nil)
        let first = lines(
            metrics.emit([
                MetricSample(Self.orders, ["north"], 5), MetricSample(Self.orders, ["south"], 2), MetricSample(Self.open, 3),
                MetricSample(Self.orders, ["too", "many"], 9),
            ]))
        #expect(first.isSuperset(of: [#"test_orders_total{shop="north"} 5"#, #"test_orders_total{shop="south"} 2"#, "test_open 3.0"]))
        #expect(first.contains("# HELP test_orders_total Orders."))
        #expect(first.contains("# TYPE test_orders_total counter") && first.contains("# TYPE test_open gauge"))
        #expect(!first.contains { $0.contains(#"shop="too""#) }, "\(first)")
        // No source that polls: no poll histogram.
        #expect(!first.contains { $0.contains("poll_duration") }, "\(first)")
        let second = lines(metrics.emit([MetricSample(Self.orders, ["north"], 7), MetricSample(Self.open, 1)]))
        #expect(second.isSuperset(of: [#"test_orders_total{shop="north"} 7"#, #"test_orders_total{shop="south"} 2"#, "test_open 1.0"]))
    }

    @Test func theSimulatorsServerCountsSubscribersCommandsAndResults() async throws {
        let server = try await startServer(options: { $0.metrics = ServerMetrics(source: nil) })
        defer { Task { await server.stop() } }
        await settle(server)
        let client = try await subscribedClient(server)
        defer { client.close() }
        client.send("{not json")
        client.send(.promote(requestID: "m-1", node: "node-2"))
        _ = try await client.waitFor("two results") { results($0).count == 2 }
        let base = String(server.url.replacingOccurrences(of: "ws://", with: "http://").dropLast("/v1/stream".count))
        let answer = try await ChildProcess.output(["/usr/bin/curl", "-fsS", "--max-time", "5", base + "/metrics"], stderr: false)
        #expect(answer.status == 0)
        let got = lines(answer.text)
        let stats = await server.core.stats
        for line in [
            "clusterdash_subscribers 1.0", "clusterdash_subscriptions_total 1", "clusterdash_client_frames_total \(stats.framesReceived)",
            "clusterdash_commands_received_total \(stats.commandsReceived)", "clusterdash_snapshots_sent_total \(stats.snapshotsSent)",
            "clusterdash_events_broadcast_total \(stats.eventsBroadcast)", #"clusterdash_command_results_total{status="rejected"} 1"#,
        ] {
            #expect(got.contains(line), "\(line) in \(answer.text)")
        }
        // The promotion's answer came, whatever it was (accepted first).
        #expect(got.contains { $0.hasPrefix(#"clusterdash_command_results_total{status="accepted"}"#) }, "\(answer.text)")
    }

    @Test func withoutMetricsThereIsNoSuchPath() async throws {
        let server = try await startServer()
        defer { Task { await server.stop() } }
        let base = String(server.url.replacingOccurrences(of: "ws://", with: "http://").dropLast("/v1/stream".count))
        let code = try await ChildProcess.output(
            ["/usr/bin/curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5", base + "/metrics"], stderr: false)
        #expect(code.text == "404")
    }
}
