import ClusterProtocol
import ClusterState
import ClusterdashTesting
import Testing

@Suite struct OrderingTests {
    @Test func naturalOrder() {
        let names = ["node-10", "node-2", "node-1", "alpha", "node-02", "node-1a"]
        #expect(names.sorted(by: naturalLess) == ["alpha", "node-1", "node-1a", "node-2", "node-02", "node-10"])
    }

    @Test func oneFormatterForAgesLagAndWords() {
        #expect(formatDuration(300, .compact) == "0.3s")
        #expect(formatDuration(120, .compactMillis) == "120ms")
        #expect(formatDuration(1_250, .compactMillis) == "1.2s")
        #expect(formatDuration(9_960, .compact) == "9.9s")
        #expect(formatDuration(10_000, .compact) == "10s")
        #expect(formatDuration(45_000, .compact) == "45s")
        #expect(formatDuration(185_000, .compact) == "3m05s")
        #expect(formatDuration(7_500_000, .compact) == "2h05m")
        #expect(formatDuration(-5, .compact) == "0.0s")
        #expect(formatDuration(999, .words) == "999 ms")
    }

    @Test func durationsReadInWords() {
        #expect(formatDuration(1250, .words) == "1.2 s", "truncated, like every duration shown")
        #expect(formatDuration(12_000, .words) == "12 s")
        #expect(formatDuration(200_000, .words) == "3 m 20 s")
        #expect(formatDuration(7_200_000, .words) == "2 h 0 m")
    }
}
