import ClusterProtocol
import Synchronization

/// A recording played as an event source, on the wall clock scaled by the
/// speed: the dashboard shows it exactly as it showed the live stream. It has
/// no `CommandSink`: nothing can be sent to a recording.
public final class ReplaySource: EventSource {
    public let queue = EnvelopeQueue(capacity: 1_000_000)
    public let name: String
    /// A recording tells what its stream told; nothing can be sent to it.
    public let provides: SourceCapabilities = .data
    private let cursor: Mutex<ReplayCursor>
    private let task = Mutex<Task<Void, Never>?>(nil)

    public init(recording: Recording, name: String, speed: Double) {
        self.name = name
        cursor = Mutex(ReplayCursor(recording: recording, speed: speed))
    }

    public var statuses: [EndpointStatus] {
        let (finished, at) = cursor.withLock { ($0.finished, $0.playhead) }
        return [finished ? .stale(lastFrameAt: at) : .live(since: at, lastFrameAt: at)]
    }

    public var endpointNames: [String] { ["replay \(name)"] }
    public var stats: [EndpointStats] { [] }

    /// The recording's time now shown: the dashboard's clock in replay.
    public var playhead: Timestamp { cursor.withLock { $0.playhead } }
    public var speed: Double { cursor.withLock { $0.speed } }
    public var paused: Bool { cursor.withLock { $0.paused } }
    public var finished: Bool { cursor.withLock { $0.finished } }

    public func start() {
        let t = Task { [self] in
            var last = ContinuousClock.now
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(20))
                let now = ContinuousClock.now
                let elapsed = now - last
                last = now
                let ms = elapsed.wholeMilliseconds
                let due = cursor.withLock { $0.advance(wallMillis: ms) }
                push(due)
            }
        }
        task.withLock { $0 = t }
    }

    public func stop() async {
        await task.cancelAndWait()
        queue.close()
    }

    public func requestSnapshot(endpoint: Int) {}

    public func togglePause() {
        cursor.withLock { $0.paused ? $0.resume() : $0.pause() }
    }

    public func setSpeed(_ s: Double) {
        cursor.withLock { $0.setSpeed(s) }
    }

    /// Plays the next event now (while paused, one at a time).
    public func step() {
        let e = cursor.withLock { $0.step() }
        push(e.map { [$0] } ?? [])
    }

    private func push(_ envelopes: [Envelope]) {
        for e in envelopes { queue.push(Received(envelope: e, endpoint: 0, receivedAt: e.timestamp)) }
    }
}
