import NIOCore
import NIOPosix
import Synchronization

/// Why a command got no answer.
public enum RESPConnectionError: Error, Sendable, CustomStringConvertible {
    case closed
    case timedOut(String)
    /// What came was not RESP (the connection is closed).
    case garbage(String)

    public var description: String {
        switch self {
        case .closed: "closed by the server"
        case .timedOut(let command): "no answer to \(command) in time"
        case .garbage(let why): "answered garbage (\(why))"
        }
    }
}

/// One connection to a Redis server or sentinel. Commands are answered in
/// the order sent (one reader owns the socket); `next` reads a value nobody
/// asked for (a PSUBSCRIBE message). A timeout closes the connection (a late
/// answer would be taken for the next command's): connect again.
/// Credentials given to `auth` are sent once and never kept or logged.
public final class RESPConnection: Sendable {
    struct Request: Sendable {
        /// nil: only read the next value.
        var command: [[UInt8]]?
        var reply: CheckedContinuation<RESPValue, any Error>
        /// Answered or timed out, whichever came first.
        var outcome: ReplyOutcome
    }

    private let channel: any Channel
    private let requests: AsyncStream<Request>.Continuation
    private let runner: Task<Void, Never>

    private init(_ async: NIOAsyncChannel<RESPValue, [[UInt8]]>) {
        channel = async.channel
        let (stream, continuation) = AsyncStream<Request>.makeStream()
        requests = continuation
        runner = Task {
            var pending: Request?
            do {
                try await async.executeThenClose { inbound, outbound in
                    var values = inbound.makeAsyncIterator()
                    for await request in stream {
                        pending = request
                        if let command = request.command { try await outbound.write(command) }
                        guard let value = try await values.next() else { throw RESPConnectionError.closed }
                        pending = nil
                        // Answered in time: its timer, however late it runs,
                        // closes nothing. Answered as the timer fired (it
                        // closes the connection): a timeout, not a success
                        // followed by "closed" for the next command.
                        if request.outcome.answer() {
                            request.reply.resume(returning: value)
                        } else {
                            request.reply.resume(throwing: RESPConnectionError.closed)
                        }
                    }
                }
            } catch let error as RESPError {
                pending?.reply.resume(throwing: RESPConnectionError.garbage(error.description))
            } catch {
                pending?.reply.resume(throwing: RESPConnectionError.closed)
            }
            // Whatever is still queued gets no answer.
            continuation.finish()
            for await request in stream { request.reply.resume(throwing: RESPConnectionError.closed) }
        }
    }

    /// Connects to `host:port` within `timeout`.
    public static func connect(host: String, port: Int, timeout: TimeAmount = .seconds(2), parser: RESPParser = RESPParser()) async throws
        -> RESPConnection
    {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(timeout)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(RESPDecoder(parser: parser)))
                    try channel.pipeline.syncOperations.addHandler(MessageToByteHandler(RESPCommandEncoder()))
                    return try NIOAsyncChannel<RESPValue, [[UInt8]]>(wrappingChannelSynchronously: channel)
                }
            }
        return RESPConnection(channel)
    }

    /// Sends `command` and returns its answer. An `.error` answer is a value,
    /// not a throw: `-ERR`, `-MOVED`, `-LOADING` are the server's own words.
    public func send(_ command: [String], timeout: Duration = .seconds(2)) async throws -> RESPValue {
        try await exchange(command.map { Array($0.utf8) }, timeout: timeout, what: command.first ?? "?")
    }

    /// The same with arguments as bytes (keys need not be UTF-8); `what`
    /// names the command in a timeout's message (never an argument).
    public func send(bytes command: [[UInt8]], what: String, timeout: Duration = .seconds(2)) async throws -> RESPValue {
        try await exchange(command, timeout: timeout, what: what)
    }

    /// The next value the server sends unasked (a pub/sub message).
    public func next(timeout: Duration) async throws -> RESPValue {
        try await exchange(nil, timeout: timeout, what: "a message")
    }

    /// `AUTH` with a password, or a user and a password (ACL).
    public func auth(user: String?, password: String) async throws -> RESPValue {
        try await send(user.map { ["AUTH", $0, password] } ?? ["AUTH", password])
    }

    /// Closes the connection without waiting: whatever waits for an answer
    /// (a `next` on a quiet pub/sub connection) gets `closed` at once. For
    /// a task's cancellation handler.
    public func closeNow() {
        channel.close(promise: nil)
    }

    public func close() async {
        requests.finish()
        try? await channel.close()
        await runner.value
    }

    private func exchange(_ command: [[UInt8]]?, timeout: Duration, what: String) async throws -> RESPValue {
        let channel = self.channel
        let outcome = ReplyOutcome()
        // A timer that wakes after the answer came (a busy machine runs it
        // late, before the cancel below) must not close the connection: the
        // next command would fail with "closed by the server" (seen on 2
        // loaded cores: a slot move refused, "17002 is unreachable").
        let timer = Task {
            try await Task.sleep(for: timeout)
            if outcome.expire() { channel.close(promise: nil) }
        }
        defer { timer.cancel() }
        do {
            return try await withCheckedThrowingContinuation { reply in
                if case .terminated = requests.yield(Request(command: command, reply: reply, outcome: outcome)) {
                    reply.resume(throwing: RESPConnectionError.closed)
                }
            }
        } catch {
            throw outcome.expired ? RESPConnectionError.timedOut(what) : error
        }
    }
}

/// A command's race between its answer and its timeout: the first wins.
final class ReplyOutcome: Sendable {
    private static let pending = 0
    private static let answered = 1
    private static let timedOut = 2
    private let state = Atomic<Int>(ReplyOutcome.pending)

    /// The answer came; false when the timeout had already won.
    func answer() -> Bool {
        state.compareExchange(expected: Self.pending, desired: Self.answered, ordering: .acquiringAndReleasing).exchanged
    }

    /// The timeout came; false when the answer had already won.
    func expire() -> Bool {
        state.compareExchange(expected: Self.pending, desired: Self.timedOut, ordering: .acquiringAndReleasing).exchanged
    }

    var expired: Bool { state.load(ordering: .acquiring) == Self.timedOut }
}
