import CHeap
import ClusterProtocol
import ClusterSim
import ClusterState
import Dashboard
import EventSources
import Foundation
import Logging
import RenderCore
import SimServer

/// The full pipeline over loopback: the simulator's flood -> WebSocketSource
/// (receive, decode) -> bounded queue -> update (apply) -> render a 200x60
/// frame into a buffer on a 30 fps frame clock. Events applied per second.
enum Pipeline {
    struct Result {
        var eventsPerSecond: Double
        var dropped: Int
        var rssStartMB: Double
        var rssAfterMB: Double
        var frames: Int
        var heapStartMB: Double
        var heapAfterMB: Double
        /// The most heap in use seen after a frame.
        var heapPeakMB: Double
    }

    static func run(seconds: Double) async throws -> Result {
        let logger = benchLogger()
        let start = wallClockNow()
        let flood = try FloodProcess.start()
        let source = WebSocketSource(endpoints: [EndpointConfig(url: flood.url)], clock: wallClockNow, logger: logger)
        source.start()
        var model = AppModel(now: wallClockNow())
        var buffer = Buffer(size: Size(width: 200, height: 60))
        let clock = ContinuousClock()
        // Warm up until the stream flows.
        while model.state.counters.applied < 1_000 {
            _ = update(&model, .batch(source.queue.take(), [], at: wallClockNow()))
            try await Task.sleep(for: .milliseconds(5))
        }
        let rssStart = residentMB()
        let heapStart = Double(cd_heap_in_use()) / 1_048_576
        let applied0 = model.state.counters.applied + model.state.counters.duplicates
        let began = clock.now
        let deadline = began.advanced(by: .milliseconds(Int64(seconds * 1000)))
        var frames = 0
        var dropped = 0
        var heapPeak = 0

        while clock.now < deadline {
            let frameStart = clock.now
            var batch = source.queue.take()
            dropped += batch.dropped
            heapPeak = max(heapPeak, cd_heap_in_use())
            _ = update(&model, .batch(batch, [EndpointView(name: "flood", status: .live(since: start, lastFrameAt: wallClockNow()))], at: wallClockNow()))
            buffer.clear()
            render(model, into: &buffer)
            source.queue.recycle(&batch)
            frames += 1
            heapPeak = max(heapPeak, cd_heap_in_use())
            let spent = clock.now - frameStart
            if spent < .milliseconds(33) { try await Task.sleep(for: .milliseconds(33) - spent) }
        }
        let elapsed = clock.now - began
        let applied = model.state.counters.applied + model.state.counters.duplicates - applied0
        let s = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let rssAfter = residentMB()
        let heapAfter = Double(cd_heap_in_use()) / 1_048_576
        await source.stop()
        flood.stop()
        return Result(eventsPerSecond: Double(applied) / s, dropped: dropped, rssStartMB: rssStart, rssAfterMB: rssAfter, frames: frames, heapStartMB: heapStart, heapAfterMB: heapAfter, heapPeakMB: Double(heapPeak) / 1_048_576)
    }
}

