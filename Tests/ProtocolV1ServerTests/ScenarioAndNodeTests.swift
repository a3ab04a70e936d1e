import ClusterProtocol
import ClusterSim
import ClusterState
import ClusterdashTesting
import Foundation
import Logging
import ProtocolV1Server
import Simulator
import Testing

@Suite(.serialized) struct ScenarioAndNodeTests {
    @Test func crashScenarioProducesEmergencyRebalanceAndNewPrimary() async throws {
        let scenario = try Scenario.parse(
            toml: """
                # node-1 is the first primary
                [[step]]
                at = "5s"
                fault = "crash"
                node = "node-1"
                """)
        #expect(scenario.steps == [Scenario.Step(atMillis: 5_000, fault: .crash(node: "node-1"))])
        let server = try await startServer(scheduled: scenario.schedule(from: t0))
        defer { Task { await server.stop() } }
        await settle(server)
        let client = try await subscribedClient(server)
        defer { client.close() }
        await server.core.advance(byMillis: 4_000)
        let es = try await client.waitFor("the new primary") { $0.contains { $0.type == "assignment.published" } }
        var state = ClusterState()
        for e in es { state.apply(e) }
        #expect(state.nodes["node-1"]?.isPresent == false)
        #expect(state.primaries.count == 1 && state.primaries != ["node-1"])
        #expect(state.assignment?.reason == .emergency)
        #expect(state.assignment?.workers["node-1"] == nil)
        #expect(state.term == 2)
    }

    @Test func scenarioErrorsSayWhatIsWrong() {
        #expect(
            throws: ScenarioError(
                "step 1: unknown fault `melt` (lag_spike, crash, restart, degrade, recover, quorum_loss, disconnect, reconnect, suppressed)")
        ) {
            try Scenario.parse(toml: "[[step]]\nat = \"1s\"\nfault = \"melt\"\n")
        }
        #expect(throws: ScenarioError("step 1: missing `node`")) {
            try Scenario.parse(toml: "[[step]]\nat = \"1s\"\nfault = \"crash\"\n")
        }
        #expect(throws: ScenarioError("step 1: `at` = \"soon\" is not a duration (like 500ms, 10s, 1m30s)")) {
            try Scenario.parse(toml: "[[step]]\nat = \"soon\"\nfault = \"crash\"\nnode = \"node-1\"\n")
        }
        #expect(throws: ScenarioError.self) { try Scenario.parse(toml: "[[step]\n") }
    }

    @Test func perNodeEndpointsStreamTheirNodeAndCloseOnCrash() async throws {
        let server = try await startServer(options: { $0.perNodePorts = true })
        defer { Task { await server.stop() } }
        await settle(server)
        #expect(server.nodeURLs.count == 5)
        let url = try #require(server.nodeURLs["node-3"])
        let n3 = TestStreamClient(url: url)
        let n2 = TestStreamClient(url: try #require(server.nodeURLs["node-2"]))
        defer { n2.close() }
        n3.send(.subscribe(resume: nil))
        n2.send(.subscribe(resume: nil))
        try await n3.waitFor("node-3 snapshot") { !$0.isEmpty }
        try await n2.waitFor("node-2 snapshot") { !$0.isEmpty }
        await server.core.advance(byMillis: 2_000)
        let es = try await n3.waitFor("node-3 events") { $0.count > 3 }
        #expect(es.dropFirst().allSatisfy { $0.source == "node-3" })
        if case .snapshot(let s) = es.first?.event { #expect(Set(s.seqs.keys) == ["node-3"]) }
        await server.core.inject(.crash(node: "node-3"))
        try await n3.waitClosed()
        let port = try #require(URLComponents(string: url)?.port)
        #expect(try rawHTTPStatus(port: port, path: "/v1/stream") == 503)
        // The others keep streaming.
        let before = await n2.envelopes().count
        await server.core.advance(byMillis: 2_000)
        try await n2.waitFor("node-2 keeps streaming") { $0.count > before }
    }
}
