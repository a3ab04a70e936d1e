import ClusterProtocol
import ClusterSim
import ClusterState
import ClusterdashTesting
import Dashboard
import EventSources
import RenderCore
import Testing

@Suite struct RewindTests {
    /// The state after the first `n` envelopes, computed independently.
    func reduce(_ es: ArraySlice<Envelope>) -> ClusterState {
        var s = ClusterState()
        for e in es { s.apply(e) }
        return s
    }

    @Test func theStateAtTIsTheReducerOverTheEventsUpToT() {
        var s = Scene()
        s.model.recentCapacity = 400  // small, so trimming and the base are exercised
        s.run(seconds: 30)
        s.inject(.crash(node: "node-1"))
        s.run(seconds: 30)
        let live = s.model.state
        _ = s.press(.char("{"))
        guard let r = s.model.rewind else {
            Issue.record("not rewinding")
            return
        }
        // Which envelope is it? The same one in the full history.
        let offset = s.history.count - s.model.recent.count
        let expected = reduce(s.history.prefix(offset + r.index + 1))
        #expect(r.state.nodes == expected.nodes)
        #expect(r.state.followers == expected.followers)
        #expect(r.state.assignment == expected.assignment)
        #expect(r.state.seqs == expected.seqs)
        #expect(Array(r.state.log) == Array(expected.log))
        // A minute back reaches past the kept history: it stops at the oldest
        // event held (400 here), which is before the crash.
        #expect(r.index == 0)
        #expect(r.at > s.sim.now.adding(millis: -60_000))
        #expect(r.state.primaries == ["node-1"])
        #expect(s.model.state.primaries == ["node-1"], "the screen shows the past")
        let screen = s.screen(120, 40).text
        #expect(screen.contains("REWIND -\(s.sim.now.millis(since: r.at) / 1000)s"))
        // Step by step, and the live stream keeps being applied underneath.
        _ = s.press(.char("]"), .char("]"))
        #expect(s.model.rewind?.index == r.index + 2)
        s.run(seconds: 2)
        #expect(s.model.feed.state.counters.applied > live.counters.applied)
        #expect(s.press(.char("p")).isEmpty)
        _ = s.press(.escape)
        #expect(s.model.rewind == nil)
        #expect(s.model.state.primaries == s.model.feed.state.primaries)
        #expect(s.model.state.primaries != ["node-1"])
    }

    @Test func rewindBadgeGolden() {
        var s = Scene.healthy()
        s.inject(.crash(node: "node-1"))
        s.run(seconds: 5)
        _ = s.press(.char("{"))
        // A minute back, with the default history, is a minute back.
        #expect(s.model.rewind.map { s.sim.now.millis(since: $0.at) } ?? 0 >= 59_000)
        _ = s.press(.char("]"), .char("]"))
        let result = golden.check(s.screen(120, 40), named: "rewind-120x40")
        #expect(result.matches, "\(result.message)")
    }
}
