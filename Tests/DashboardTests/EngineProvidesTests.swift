import ClusterProtocol
import ClusterState
import EventSources
import Testing

@testable import Dashboard

/// A stream whose engine says nothing of what it tells (an old recording)
/// is taken at its rules' word: a Patroni cluster has no partitions, so the
/// Assignments pane says so instead of an empty table.
@Suite struct EngineProvidesTests {
    func model(_ engine: EngineClusterInfo) -> AppModel {
        modelAfter(
            ClusterSnapshot(
                cluster: "c", term: 1, leader: "pg1", nodes: [NodeInfo(id: "pg1", role: .primary, term: 1)], assignment: nil, seqs: ["e/c": 1],
                engine: engine))
    }

    @Test func anEngineThatSaysNothingIsTakenAtItsRulesWord() {
        let silent = model(EngineClusterInfo(name: "patroni", lagUnit: "bytes"))
        #expect(silent.capabilities.contains(.roles) && silent.capabilities.contains(.promote))
        #expect(!silent.capabilities.contains(.assignments) && !silent.capabilities.contains(.migrate))
        // What the engine says wins over its rules.
        let told = model(EngineClusterInfo(name: "patroni", lagUnit: "bytes", accepts: ["promote"], provides: ["roles", "lag", "assignments"]))
        #expect(told.capabilities.contains(.assignments))
        // An engine this build does not know: everything v1 has, as before
        // (an extension's command only where the engine says it takes it).
        let unknown = model(EngineClusterInfo(name: "something-new", lagUnit: "ms"))
        #expect(unknown.capabilities == SourceCapabilities.all.subtracting(.stepDown))
    }
}
