import ClusterProtocol
import ClusterState
import ClusterdashTesting
import EventSources
import Foundation
import Testing

@Suite struct ReplaySourceTests {
    @Test func playsARecordingIntoTheQueueWithPauseAndStep() async throws {
        var f = EnvelopeFactory(start: t0, stepMillis: 100)
        let es =
            [f.make(.snapshot(EnvelopeFactory.healthySnapshot()))]
            + (0..<30).map { i in
                f.make(
                    .replicationLag(ReplicationLag(follower: "node-2", leader: "node-1", lagMillis: Int64(i), lagEntries: 0, walPosition: nil)),
                    source: "node-2")
            }
        let recording = Recording.parse(es.map(EnvelopeCodec.encodeString).joined(separator: "\n"))
        let source = ReplaySource(recording: recording, name: "test", speed: 1)
        source.togglePause()
        source.start()
        try await Task.sleep(for: .milliseconds(100))
        #expect(source.queue.count == 0, "paused: nothing plays")
        source.step()
        source.step()
        #expect(source.queue.count == 2)
        source.setSpeed(100)
        source.togglePause()
        let deadline = ContinuousClock.now.advanced(by: .seconds(5))
        while !source.finished, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        try await Task.sleep(for: .milliseconds(50))
        let batch = source.queue.take()
        #expect(batch.items.count == es.count)
        #expect(batch.items.map(\.envelope) == es)
        #expect(source.statuses.first?.label == "stale", "a finished replay says so")
        await source.stop()
    }
}
