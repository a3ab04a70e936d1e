import ClusterProtocol
import Synchronization

/// The loop every polling connector runs: a poll each `interval`, and one at
/// once when something asks (`wake`: a watched key changed, a command
/// finished, an announcement came); wakes that come while a poll runs fold
/// into one. Owns its tasks and the connector's other long-running ones;
/// `stop` ends them all.
public final class PollDriver: Sendable {
    private let wakes: AsyncStream<Void>
    private let waker: AsyncStream<Void>.Continuation
    private let tasks = Mutex<[Task<Void, Never>]>([])
    private let observers = PollObservers()

    public init() {
        (wakes, waker) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Asks for a poll now.
    public func wake() { waker.yield() }

    /// Tells `observer` how long each poll took from now on (the gateway's
    /// `/metrics`).
    public func observePolls(_ observer: @escaping @Sendable (Duration) -> Void) {
        observers.list.withLock { $0.append(observer) }
    }

    /// Starts polling with `poll` every `interval`, and `others` beside it
    /// (each runs until cancelled).
    public func start(every interval: Duration, poll: @escaping @Sendable () async -> Void, others: [@Sendable () async -> Void] = []) {
        let wakes = self.wakes
        let waker = self.waker
        let observers = self.observers
        var started = [
            Task {
                for await _ in wakes {
                    if Task.isCancelled { return }
                    let began = ContinuousClock.now
                    await poll()
                    let took = ContinuousClock.now - began
                    for o in observers.list.withLock({ $0 }) { o(took) }
                }
            },
            Task {
                while !Task.isCancelled {
                    waker.yield()
                    do { try await Task.sleep(for: interval) } catch { return }
                }
            },
        ]
        for other in others { started.append(Task { await other() }) }
        tasks.withLock { $0 = started }
    }

    /// Ends the loop and every task started with it, and waits for them.
    public func stop() async {
        let running = tasks.withLock { t -> [Task<Void, Never>] in
            defer { t = [] }
            return t
        }
        waker.finish()
        for t in running { t.cancel() }
        for t in running { await t.value }
    }
}

/// Who is told each poll's duration (a reference the poll task holds
/// without holding the driver).
final class PollObservers: Sendable {
    let list = Mutex<[@Sendable (Duration) -> Void]>([])
}

/// Why a connector refuses a command before sending anything, in the words
/// the dashboard shows: a read-only source, or an op its engine does not
/// take. Nil: go on.
public func commandRefusal(_ op: ClientOp, engine: String, readOnly: Bool, accepts: Set<String>) -> String? {
    if readOnly { return "read-only: this dashboard sends no command" }
    if !accepts.contains(op.op) { return "\(engine) has no \(op.op.replacingUnderscores): nothing was sent" }
    return nil
}

extension Duration {
    /// Whole milliseconds (truncated), as the protocol counts time.
    public var wholeMilliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
}
