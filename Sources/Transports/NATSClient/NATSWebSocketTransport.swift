import Logging
import NIOCore
import Synchronization
import WSClient

/// NATS over its WebSocket listener (`nats+ws://`): the frames are a byte
/// stream cut anywhere (the server may split one message over many frames
/// or put many in one), so every frame is appended to one buffer and parsed
/// as TCP would be. Writes go out as binary frames, in order.
struct NATSWebSocketTransport: NATSTransport {
    let outgoing: AsyncStream<ByteBuffer>.Continuation
    let task: Task<Void, Never>

    static func connect(
        _ address: NATSAddress, inbound: NATSInbound, timeout: Duration, logger: Logger
    ) async throws -> NATSWebSocketTransport {
        let (stream, outgoing) = AsyncStream<ByteBuffer>.makeStream()
        let opened = Opened()
        let url = "ws://\(address.host.contains(":") ? "[\(address.host)]" : address.host):\(address.port)/"
        let config = WebSocketClientConfiguration(maxFrameSize: 16 << 20)
        let task = Task {
            do {
                try await WebSocketClient.connect(url: url, configuration: config, logger: logger) { frames, outbound, _ in
                    opened.set(.success(()))
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            for await bytes in stream { try await outbound.write(.binary(bytes)) }
                            try await outbound.close(.normalClosure, reason: nil)
                        }
                        group.addTask {
                            let parser = NATSParser()
                            var buffer = ByteBuffer()
                            for try await frame in frames {
                                var data = frame.data
                                buffer.writeBuffer(&data)
                                do {
                                    while let op = try parser.parse(&buffer) {
                                        if !inbound.take(op) { return }
                                    }
                                } catch {
                                    inbound.closed.set("answered garbage (\(error))")
                                    return
                                }
                                buffer.discardReadBytes()
                            }
                        }
                        _ = try await group.next()
                        group.cancelAll()
                    }
                }
                opened.set(.failure(NATSError.closed("closed before the WebSocket upgrade")))
            } catch {
                inbound.closed.set(NATSConnectErrors.describe(error))
                opened.set(.failure(NATSError.closed(NATSConnectErrors.describe(error))))
            }
            outgoing.finish()
            inbound.finish()
        }
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while true {
            if let result = opened.value {
                try result.get()
                return NATSWebSocketTransport(outgoing: outgoing, task: task)
            }
            if ContinuousClock.now > deadline || Task.isCancelled {
                task.cancel()
                outgoing.finish()
                throw NATSError.timedOut("the WebSocket upgrade")
            }
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    func write(_ bytes: ByteBuffer) { outgoing.yield(bytes) }

    func close() {
        outgoing.finish()
        task.cancel()
    }

    /// The upgrade's outcome, once known.
    final class Opened: Sendable {
        private let result = Mutex<Result<Void, NATSError>?>(nil)
        func set(_ r: Result<Void, NATSError>) { result.withLock { if $0 == nil { $0 = r } } }
        var value: Result<Void, NATSError>? { result.withLock { $0 } }
    }
}
