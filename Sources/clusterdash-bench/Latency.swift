import ClusterProtocol
import ClusterSim
import ClusterState
import Dashboard
import EventSources
import Foundation
import Logging
import RenderCore
import SimServer
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
        var options = SimServerOptions()
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
        var model = AppModel(now: wallClockNow())
        var buffer = Buffer(size: Size(width: 200, height: 60))
        let clock = ContinuousClock()
        let frame = Duration.milliseconds(33)
        // Settle: cold start done, stream flowing.
        let settle = clock.now.advanced(by: .seconds(1))
        while clock.now < settle {
            _ = update(&model, .batch(source.queue.take(), [], at: wallClockNow()))
            try await Task.sleep(for: frame)
        }
        var latencies: [Double] = []
        latencies.reserveCapacity(Int(rate * seconds) + 1_000)
        let deadline = clock.now.advanced(by: .milliseconds(Int64(seconds * 1000)))
        var next = clock.now
        while clock.now < deadline {
            next = next.advanced(by: frame)
            let batch = source.queue.take()
            _ = update(&model, .batch(batch, [], at: wallClockNow()))
            buffer.clear()
            render(model, into: &buffer)
            let shown = wallClockNow()
            for r in batch.items where r.envelope.type == "replication.lag" {
                latencies.append(Double(shown.millis(since: r.envelope.timestamp)))
            }
            let wait = next - clock.now
            if wait > .zero { try await Task.sleep(for: wait) }
        }
        stop.set()
        await driver.value
        await source.stop()
        await server.stop()
        latencies.sort()
        guard !latencies.isEmpty else { return Result(p50: 0, p99: 0, max: 0, events: 0, frameMillis: 33) }
        return Result(
            p50: latencies[latencies.count / 2], p99: latencies[min(latencies.count - 1, latencies.count * 99 / 100)],
            max: latencies.last ?? 0, events: latencies.count, frameMillis: 33)
    }
}

final class ManagedFlag: Sendable {
    private let value = Synchronization.Atomic<Bool>(false)
    var isSet: Bool { value.load(ordering: .relaxed) }
    func set() { value.store(true, ordering: .relaxed) }
}
