import ClusterProtocol
import ClusterSim
import ClusterState
import Dashboard
import EventSources
import Foundation
import Logging
import ProtocolV1Server
import ProtocolV1Source
import RenderCore
import Simulator
import Synchronization

/// Event send time -> the frame that shows it, at a steady 10,000 events/s.
/// The simulator's clock is the wall clock, stepped every millisecond, so
/// each event's `ts` is when it was sent; the pipeline takes what arrived on
/// a 30 fps frame clock, applies and renders, and every event of the batch
/// is counted as shown when that frame is done.
enum Latency {
    struct Result {
        var p50: Double
        var p99: Double
        var max: Double
        var events: Int
        var frameMillis: Double
    }

    static func run(seconds: Double, rate: Double = 10_000) async throws -> Result {
        let logger = benchLogger()
        var options = StreamServerOptions()
        options.port = 0
        options.realtime = false
        var config = SimConfig()
        config.coldStartWindowMillis = 200
        config.tickMillis = 1
        config.rate = rate
        let start = wallClockNow()
        let server = try await SimulatorServer.start(simulation: config, options: options, start: start, logger: logger)
        let core = server.core
        let stop = ManagedFlag()
        let driver = Task {
            while !stop.isSet {
                await core.advance(to: wallClockNow())
                try? await Task.sleep(for: .microseconds(500))
            }
        }
        let source = WebSocketSource(endpoints: [EndpointConfig(url: server.url)], clock: wallClockNow, logger: logger)
        source.start()
        // The runtime's loop on a thread of its own, as in the dashboard: a
        // fixed 33 ms frame grid (FramePacer), waiting between frames.
        let latencies = await onOwnThread { frameLoop(source: source, seconds: seconds, rate: rate) }
        stop.set()
        await driver.value
        await source.stop()
        await server.stop()
        let sorted = latencies.sorted()
        guard !sorted.isEmpty else { return Result(p50: 0, p99: 0, max: 0, events: 0, frameMillis: 33) }
        return Result(
            p50: sorted[sorted.count / 2], p99: sorted[min(sorted.count - 1, sorted.count * 99 / 100)],
            max: sorted.last ?? 0, events: sorted.count, frameMillis: 33)
    }

    /// Settles for a second, then for `seconds` takes what arrived at each
    /// frame deadline, applies and renders it, and counts every lag event of
    /// the batch as shown when that frame is done.
    static func frameLoop(source: WebSocketSource, seconds: Double, rate: Double) -> [Double] {
        var model = AppModel(now: wallClockNow())
        var buffer = Buffer(size: Size(width: 200, height: 60))
        let clock = ContinuousClock()
        var pacer = FramePacer(interval: .milliseconds(33), start: clock.now)
        let measureFrom = clock.now.advanced(by: .seconds(1))
        let deadline = measureFrom.advanced(by: .milliseconds(Int64(seconds * 1000)))
        var latencies: [Double] = []
        latencies.reserveCapacity(Int(rate * seconds) + 1_000)
        while clock.now < deadline {
            let wait = pacer.millisUntilDue(at: clock.now)
            if wait > 0 { usleep(UInt32(wait) * 1_000) }
            guard pacer.due(at: clock.now) else { continue }
            var batch = source.queue.take()
            _ = update(&model, .batch(batch, [], at: wallClockNow()))
            buffer.clear()
            render(model, into: &buffer)
            let shown = wallClockNow()
            guard clock.now >= measureFrom else {
                source.queue.recycle(&batch)
                continue
            }
            for r in batch.items where r.envelope.type == "replication.lag" {
                latencies.append(Double(shown.millis(since: r.envelope.timestamp)))
            }
            source.queue.recycle(&batch)
        }
        return latencies
    }
}

final class ManagedFlag: Sendable {
    private let value = Synchronization.Atomic<Bool>(false)
    var isSet: Bool { value.load(ordering: .relaxed) }
    func set() { value.store(true, ordering: .relaxed) }
}
