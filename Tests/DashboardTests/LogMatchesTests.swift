import ClusterProtocol
import ClusterSim
import ClusterState
import ClusterdashTesting
import Dashboard
import EventSources
import Testing

/// The log filter's matches are kept by `update` as entries arrive and the
/// ring trims; they must always equal a filter of the whole log done afresh.
@Suite struct LogMatchesTests {
    func filteredAfresh(_ m: AppModel) -> [LogEntry] {
        let needle = m.logFilter.lowercased()
        return m.state.log.filter {
            $0.text.lowercased().contains(needle) || $0.source.lowercased().contains(needle) || $0.kind.searchName.contains(needle)
        }
    }

    @Test func matchesFollowNewEntriesAndTheTrimmedRing() {
        var s = Scene()
        var limits = StateLimits()
        limits.logCapacity = 40
        s.model.feed = Feed(state: ClusterState(limits: limits))
        s.feed([s.sim.snapshot()])
        _ = s.press(.char("/"), .char("n"), .char("o"), .char("d"), .char("e"), .char("-"), .char("3"), .enter)
        for round in 0..<6 {
            s.inject(round % 2 == 0 ? .crash(node: "node-3") : .restart(node: "node-3"))
            s.inject(.lagSpike(node: "node-2", millis: 40_000, durationMillis: 2_000))
            s.run(seconds: 5)
            let kept = s.model.visibleLog
            #expect(kept == filteredAfresh(s.model), "round \(round)")
            #expect(!kept.isEmpty)
        }
        #expect(s.model.state.logAppended > 40, "the ring trimmed while the filter was on")
        // A new filter starts afresh; clearing it drops the matches.
        _ = s.press(.char("/"), .backspace, .char("2"), .enter)
        #expect(s.model.logFilter == "node-2")
        #expect(s.model.visibleLog == filteredAfresh(s.model))
        _ = s.press(.escape)
        #expect(s.model.logMatches == LogMatches())
        #expect(s.model.visibleLog.count == s.model.state.log.count)
    }
}
