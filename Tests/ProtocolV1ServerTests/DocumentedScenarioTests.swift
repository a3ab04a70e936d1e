import ClusterProtocol
import ClusterSim
import ClusterState
import ClusterdashTesting
import Foundation
import Logging
import ProtocolV1Server
import Simulator
import Testing

@Suite struct DocumentedScenarioTests {
    @Test func theExampleScenarioInTheDocsParses() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../docs/scenarios/failover-drill.toml").standardized
        let scenario = try Scenario.parse(toml: try String(contentsOf: url, encoding: .utf8))
        #expect(scenario.steps.count == 7)
        #expect(scenario.steps[0] == Scenario.Step(atMillis: 40_000, fault: .lagSpike(node: "node-2", millis: 45_000, durationMillis: 15_000)))
        #expect(scenario.steps[1].fault == .crash(node: "node-1"))
        #expect(scenario.steps.last?.fault == .suppressedRepeat(node: nil))
    }
}
