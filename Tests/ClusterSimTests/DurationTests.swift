import ClusterProtocol
import ClusterSim
import ClusterState
import Testing

@Suite struct DurationTests {
    @Test func parsesScenarioDurations() {
        #expect(parseDuration("10s") == 10_000)
        #expect(parseDuration("500ms") == 500)
        #expect(parseDuration("1m30s") == 90_000)
        #expect(parseDuration("2h") == 7_200_000)
        #expect(parseDuration("1.5s") == 1_500)
        #expect(parseDuration("3") == 3_000)
        #expect(parseDuration(" 4s ") == 4_000)
        for bad in ["", "s", "10x", "-1s", "1s2", "ten", "1 s"] {
            #expect(parseDuration(bad) == nil, "accepted \(bad)")
        }
    }
}
