import ClusterProtocol
import ClusterSim
import ClusterState
import Dashboard
import RenderCore
import Testing

/// A replica that crashed or left has no lag now: the Replication pane says
/// so, with how long ago, instead of its last figure looking live (issue 23:
/// node-5 read "left crashed" in Nodes while Replication showed `4.0s`).
@Suite struct DepartedReplicaTests {
    func lines(_ s: Scene, _ node: String) -> String {
        s.screen(140, 40).textLines().filter { $0.contains(node) }.joined(separator: "\n")
    }

    @Test func aCrashedReplicasLagIsShownAsCrashedWithItsAgeNotItsLastFigure() throws {
        var s = Scene.healthy()
        let replica = try #require(s.model.state.followers.keys.sorted().first)
        #expect(!lines(s, replica).contains("CRASHED"))
        s.inject(.crash(node: replica))
        s.run(seconds: 10)
        let after = lines(s, replica)
        #expect(after.contains("CRASHED 10s") || after.contains("CRASHED 9s"), "\(after)")
    }
}
