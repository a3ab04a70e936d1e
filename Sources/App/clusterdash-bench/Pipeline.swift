import CHeap
import ClusterProtocol
import ClusterSim
import ClusterState
import Dashboard
import EventSources
import Foundation
import Logging
import ProtocolV1Source
import RenderCore

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
        /// The most heap in use seen at a frame's start (batch taken).
        var heapPeakMB: Double
    }

    static func run(seconds: Double) async throws -> Result {
        let logger = benchLogger()
        let start = wallClockNow()
        let flood = try FloodProcess.start()
        let source = WebSocketSource(endpoints: [EndpointConfig(url: flood.url)], clock: wallClockNow, logger: logger)
        source.start()
        // The dashboard's loop shape on a thread of its own (as the runtime
        // has): frames on a 33 ms grid, each taking what arrived.
        let result = await onOwnThread { frameLoop(source: source, seconds: seconds, start: start) }
        await source.stop()
        flood.stop()
        return result
    }

    static func frameLoop(source: WebSocketSource, seconds: Double, start: Timestamp) -> Result {
        var model = AppModel(now: wallClockNow())
        var buffer = Buffer(size: Size(width: 200, height: 60))
        let clock = ContinuousClock()
        // Warm up until the stream flows.
        while model.state.counters.applied < 1_000 {
            _ = update(&model, .batch(source.queue.take(), [], at: wallClockNow()))
            usleep(5_000)
        }
        let rssStart = residentMB()
        let heapStart = Double(cd_heap_in_use()) / 1_048_576
        let applied0 = model.state.counters.applied + model.state.counters.duplicates
        let began = clock.now
        let deadline = began.advanced(by: .milliseconds(Int64(seconds * 1000)))
        var pacer = FramePacer(interval: .milliseconds(33), start: began)
        var frames = 0
        var dropped = 0
        var heapPeak = 0
        while clock.now < deadline {
            let wait = pacer.millisUntilDue(at: clock.now)
            if wait > 0 { usleep(UInt32(wait) * 1_000) }
            guard pacer.due(at: clock.now) else { continue }
            var batch = source.queue.take()
            dropped += batch.dropped
            // One heap reading a frame (mallinfo2 locks every arena), taken
            // while the batch and the refilling queue are both alive.
            heapPeak = max(heapPeak, cd_heap_in_use())
            _ = update(
                &model, .batch(batch, [EndpointView(name: "flood", status: .live(since: start, lastFrameAt: wallClockNow()))], at: wallClockNow()))
            buffer.clear()
            render(model, into: &buffer)
            source.queue.recycle(&batch)
            frames += 1
        }
        let elapsed = clock.now - began
        let applied = model.state.counters.applied + model.state.counters.duplicates - applied0
        let s = inSeconds(elapsed)
        // Read while the model and the source still hold what the flood left.
        let rssAfter = residentMB()
        let heapAfter = Double(cd_heap_in_use()) / 1_048_576
        withExtendedLifetime(model) {}
        return Result(
            eventsPerSecond: Double(applied) / s, dropped: dropped, rssStartMB: rssStart, rssAfterMB: rssAfter, frames: frames,
            heapStartMB: heapStart, heapAfterMB: heapAfter, heapPeakMB: Double(heapPeak) / 1_048_576)
    }
}
