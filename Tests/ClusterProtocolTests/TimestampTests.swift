import ClusterProtocol
import Testing

@Suite struct TimestampTests {
    @Test func parsesAndFormatsTheWireForm() throws {
        let t = try #require(Timestamp(rfc3339: "2026-11-23T13:00:00.123Z"))
        #expect(t.rfc3339 == "2026-11-23T13:00:00.123Z")
        #expect(t.millis == 1_795_438_800_123)
        #expect(t.clockTime == "13:00:00")
    }

    @Test func acceptsOtherPrecisionsAndOffsets() {
        #expect(Timestamp(rfc3339: "2026-11-23T13:00:00Z")?.rfc3339 == "2026-11-23T13:00:00.000Z")
        #expect(Timestamp(rfc3339: "2026-11-23T13:00:00.1Z")?.rfc3339 == "2026-11-23T13:00:00.100Z")
        #expect(Timestamp(rfc3339: "2026-11-23T13:00:00.123456Z")?.rfc3339 == "2026-11-23T13:00:00.123Z")
        #expect(Timestamp(rfc3339: "2026-11-23T14:30:00.000+01:30")?.rfc3339 == "2026-11-23T13:00:00.000Z")
        #expect(Timestamp(rfc3339: "2026-11-23T08:00:00-05:00")?.rfc3339 == "2026-11-23T13:00:00.000Z")
        #expect(Timestamp(rfc3339: "1970-01-01T00:00:00Z")?.millis == 0)
        #expect(Timestamp(rfc3339: "1969-12-31T23:59:59.999Z")?.millis == -1)
        #expect(Timestamp(millis: -1).rfc3339 == "1969-12-31T23:59:59.999Z")
    }

    @Test func rejectsImpossibleDates() {
        for bad in [
            "2026-02-30T00:00:00Z", "2025-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-11-23T24:00:00Z",
            "2026-11-23T13:00:00", "2026-11-23T13:00:00.Z", "2026-11-23 13:00", "", "2026-11-23T13:00:00+0100",
        ] {
            #expect(Timestamp(rfc3339: bad) == nil, "accepted \(bad)")
        }
        #expect(Timestamp(rfc3339: "2024-02-29T00:00:00Z") != nil)
    }
}
