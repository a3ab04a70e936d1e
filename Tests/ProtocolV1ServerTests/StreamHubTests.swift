import ClusterProtocol
import ClusterState
import ProtocolV1Server
import Testing

@Suite struct StreamHubTests {
    func envelope(_ source: String, _ seq: Int64) -> Envelope {
        Envelope(
            id: "\(source)-\(seq)", source: source, seq: seq, timestamp: t0,
            event: .stateChangeSuppressed(StateChangeSuppressed(node: source, state: "x")))
    }

    @Test func replaysExactlyWhatWasMissedInOrder() {
        var hub = StreamHub(capacityPerSource: 100)
        for i in 1...10 {
            hub.record(envelope("a", Int64(i)))
            hub.record(envelope("b", Int64(i)))
        }
        let missed = hub.replay(after: ["a": 7, "b": 9])
        #expect(missed?.map { "\($0.source)\($0.seq)" } == ["a8", "a9", "a10", "b10"])
        #expect(hub.replay(after: ["a": 10, "b": 10])?.isEmpty == true)
        #expect(hub.replay(after: ["a": 10, "b": 10], covering: ["a"])?.isEmpty == true)
        #expect(hub.replay(after: ["a": 3], covering: ["a"])?.count == 7)
    }

    @Test func cannotReplayWhatItNoLongerHolds() {
        var hub = StreamHub(capacityPerSource: 5)
        for i in 1...20 { hub.record(envelope("a", Int64(i))) }
        #expect(hub.count(for: "a") == 5)
        #expect(hub.replay(after: ["a": 15])?.count == 5)
        #expect(hub.replay(after: ["a": 14]) == nil)  // 15 was evicted
        #expect(hub.replay(after: ["a": 25]) == nil)  // a seq never sent: the server restarted
        #expect(hub.replay(after: ["z": 3]) == nil)  // a source it holds nothing of
        #expect(hub.replay(after: [:]) == nil)  // new client, history gone: snapshot
    }

    @Test func commandResultsAreNotKept() {
        var hub = StreamHub()
        hub.record(
            Envelope(
                id: "r", source: "a", seq: 0, timestamp: t0,
                event: .commandResult(CommandResult(requestID: "1", op: "promote", status: .accepted, reason: nil))))
        #expect(hub.count(for: "a") == 0)
    }
}
