import ClusterProtocol
import ClusterSim
import Foundation
import Logging
import Synchronization
import WSClient

/// Frames per second a WebSocket client receives from `clusterdash sim --flood`
/// (a process of its own, on loopback), read and thrown away.
enum RawReceive {
    final class Counter: Sendable {
        let frames = Atomic<Int>(0)
        let bytes = Atomic<Int>(0)
    }

    static func run(seconds: Double, decode: Bool) async throws -> (framesPerSecond: Double, bytesPerFrame: Double) {
        let logger = benchLogger()
        let flood = try FloodProcess.start()
        let counter = Counter()
        let deadline = ContinuousClock.now.advanced(by: .milliseconds(Int64(seconds * 1000)))
        let url = flood.url
        let client = Task {
            try await WebSocketClient.connect(
                url: url, configuration: .init(maxFrameSize: 8 << 20), logger: logger
            ) { inbound, outbound, _ in
                try await outbound.write(.text(ClientOpCodec.encode(.subscribe(resume: nil))))
                var n = 0
                for try await frame in inbound {
                    n += 1
                    counter.bytes.add(frame.data.readableBytes, ordering: .relaxed)
                    if decode {
                        var data = frame.data
                        if let bytes = data.readBytes(length: data.readableBytes) {
                            _ = try? EnvelopeCodec.decode(bytes)
                        }
                    }
                    if n & 1023 == 0 {
                        counter.frames.add(1024, ordering: .relaxed)
                        if ContinuousClock.now > deadline { break }
                    }
                }
            }
        }
        // Measure from the first frames on, over `seconds`.
        while counter.frames.load(ordering: .relaxed) == 0 { try await Task.sleep(for: .milliseconds(5)) }
        let f0 = counter.frames.load(ordering: .relaxed)
        let b0 = counter.bytes.load(ordering: .relaxed)
        let clock = ContinuousClock.now
        try await Task.sleep(for: .milliseconds(Int64(seconds * 1000)))
        let elapsed = ContinuousClock.now - clock
        let f1 = counter.frames.load(ordering: .relaxed)
        let b1 = counter.bytes.load(ordering: .relaxed)
        client.cancel()
        _ = await client.result
        flood.stop()
        let s = inSeconds(elapsed)
        let frames = Double(f1 - f0)
        return (frames / s, frames > 0 ? Double(b1 - b0) / frames : 0)
    }
}

func benchLogger() -> Logger {
    var logger = Logger(label: "bench")
    logger.logLevel = .critical
    return logger
}
