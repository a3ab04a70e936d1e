import Synchronization

/// Where a transport hands what it decoded: a subscription's message goes
/// straight into that subscription's stream (from the event loop or the
/// WebSocket task, with no hop through the connection's reader task);
/// everything else (PING, PONG, INFO, -ERR, request replies) goes to the
/// reader. Both bounded: a stream full closes the connection.
final class NATSInbound: Sendable {
    struct Subscriptions {
        var streams: [String: AsyncStream<NATSMessage>.Continuation] = [:]
        /// Set once the connection ended: no stream is added after.
        var ended = false
    }

    let ops: AsyncStream<NATSServerOp>.Continuation
    let closed: ClosedReason
    let subscriptionBuffer: Int
    private let subscriptions = Mutex(Subscriptions())

    init(ops: AsyncStream<NATSServerOp>.Continuation, closed: ClosedReason, subscriptionBuffer: Int) {
        self.ops = ops
        self.closed = closed
        self.subscriptionBuffer = subscriptionBuffer
    }

    /// One decoded operation; false when the connection must close (a
    /// stream fell `subscriptionBuffer` behind), the reason set.
    func take(_ op: NATSServerOp) -> Bool {
        if case .message(let m) = op, m.sid != NATSConnection.inboxSID {
            // A message for a subscription already gone is dropped, as NATS does.
            guard let stream = subscriptions.withLock({ $0.streams[m.sid] }) else { return true }
            if case .dropped = stream.yield(m) {
                closed.set("a subscription fell \(subscriptionBuffer) messages behind")
                return false
            }
            return true
        }
        if case .dropped = ops.yield(op) {
            closed.set("the reader fell behind")
            return false
        }
        return true
    }

    /// The transport ended: the reader's stream ends (and, through it, every subscription's).
    func finish() { ops.finish() }

    /// False when the connection already ended (the stream is then finished).
    func add(_ sid: String, _ stream: AsyncStream<NATSMessage>.Continuation) -> Bool {
        let added = subscriptions.withLock { s -> Bool in
            if s.ended { return false }
            s.streams[sid] = stream
            return true
        }
        if !added { stream.finish() }
        return added
    }

    func remove(_ sid: String) {
        subscriptions.withLock { $0.streams.removeValue(forKey: sid) }?.finish()
    }

    /// The connection ended: every subscription's stream ends, after what it was given.
    func endAll() {
        let streams = subscriptions.withLock { s -> [AsyncStream<NATSMessage>.Continuation] in
            s.ended = true
            defer { s.streams = [:] }
            return Array(s.streams.values)
        }
        for s in streams { s.finish() }
    }
}
