import ClusterProtocol
import ClusterSim
import ClusterState
import ClusterdashTesting
import Dashboard
import EventSources
import RenderCore
import Testing

@Suite struct RewindAssignmentTests {
    @Test func rewoundPartitionTableHighlightsWhatMovedInThatVersion() {
        var s = Scene.healthy()
        s.inject(.crash(node: "node-4"))  // an emergency rebalance: v2 moves node-4's partitions
        s.run(seconds: 2)
        let moved = s.model.state.assignment?.movedPartitions ?? []
        #expect(!moved.isEmpty)
        _ = s.press(.char("["))  // the past, after v2
        #expect(s.model.state.assignment?.version == 2)
        _ = s.press(.tab, .tab, .enter)
        let screen = s.screen(120, 40).text
        #expect(screen.contains("Partitions v2 (256, \(moved.count) moved)"))
        #expect(screen.contains("moved"))
    }
}
