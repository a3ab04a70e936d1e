import ClusterProtocol
import Foundation
import HTTPTypes
import Logging
import WSClient

#if canImport(Glibc)
    import Glibc
#endif

/// A WebSocket client for integration tests: connects to a real server,
/// collects every frame it receives, sends what it is told, and waits for
/// conditions with a deadline (never a fixed sleep).
public final class TestStreamClient: Sendable {
    /// Everything received, in order.
    public actor Inbox {
        public private(set) var texts: [String] = []
        public private(set) var envelopes: [Envelope] = []
        public private(set) var decodeErrors: [String] = []
        public private(set) var closed = false

        func append(_ text: String) {
            texts.append(text)
            do {
                envelopes.append(try EnvelopeCodec.decode(text))
            } catch {
                decodeErrors.append(error.message)
            }
        }

        func markClosed() { closed = true }
    }

    public let inbox = Inbox()
    private let outbox: AsyncStream<String>.Continuation
    private let task: Task<WebSocketCloseFrame?, any Error>

    /// Connects (in the background) to `url`, with a bearer token when given.
    public init(url: String, token: String? = nil, maxFrameSize: Int = 8 << 20) {
        let (stream, continuation) = AsyncStream<String>.makeStream()
        outbox = continuation
        var headers = HTTPFields()
        if let token { headers[.authorization] = "Bearer \(token)" }
        let config = WebSocketClientConfiguration(maxFrameSize: maxFrameSize, additionalHeaders: headers)
        let inbox = self.inbox
        var logger = Logger(label: "test-client")
        logger.logLevel = .critical
        task = Task {
            defer { Task { await inbox.markClosed() } }
            return try await WebSocketClient.connect(url: url, configuration: config, logger: logger) { inbound, outbound, _ in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for await text in stream { try await outbound.write(.text(text)) }
                    }
                    group.addTask {
                        for try await message in inbound.messages(maxSize: maxFrameSize) {
                            if case .text(let s) = message { await inbox.append(s) }
                        }
                    }
                    // Whichever ends first (we close, or the server does) ends the connection.
                    _ = try await group.next()
                    group.cancelAll()
                }
            }
        }
    }

    public func send(_ text: String) {
        outbox.yield(text)
    }

    public func send(_ op: ClientOp) {
        outbox.yield(ClientOpCodec.encode(op))
    }

    /// Closes from our side.
    public func close() {
        outbox.finish()
    }

    /// How the connection ended: the server's close frame, or the error.
    public func result() async -> Result<WebSocketCloseFrame?, any Error> {
        await task.result
    }

    public func envelopes() async -> [Envelope] { await inbox.envelopes }

    /// Waits until `condition` holds for what was received; fails after `timeout`.
    @discardableResult
    public func waitFor(
        _ what: String, timeout: Duration = .seconds(10), _ condition: @Sendable ([Envelope]) -> Bool
    ) async throws -> [Envelope] {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while true {
            let es = await inbox.envelopes
            if condition(es) { return es }
            if ContinuousClock.now > deadline {
                throw TestTimeout(what: what, received: es.count, lastTypes: es.suffix(8).map(\.type))
            }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Waits for the connection to end.
    public func waitClosed(timeout: Duration = .seconds(10)) async throws {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while !(await inbox.closed) {
            if ContinuousClock.now > deadline { throw TestTimeout(what: "connection to close", received: 0, lastTypes: []) }
            try await Task.sleep(for: .milliseconds(5))
        }
    }
}

public struct TestTimeout: Error, CustomStringConvertible {
    public var what: String
    public var received: Int
    public var lastTypes: [String]

    public init(what: String, received: Int, lastTypes: [String]) {
        self.what = what
        self.received = received
        self.lastTypes = lastTypes
    }

    public var description: String { "timed out waiting for \(what) (received \(received); last: \(lastTypes))" }
}

/// Sends one raw HTTP/1.1 request to 127.0.0.1:`port` and returns the status
/// code (for checking what a server answers before any WebSocket exists).
public func rawHTTPStatus(port: Int, path: String, headers: [String: String] = [:]) throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw RawHTTPError("socket failed") }
    defer { close(fd) }
    var timeout = timeval(tv_sec: 5, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = in_port_t(UInt16(port).bigEndian)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { throw RawHTTPError("connect failed") }
    var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
    request += "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    for (k, v) in headers { request += "\(k): \(v)\r\n" }
    request += "\r\n"
    let bytes = Array(request.utf8)
    _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
    var buffer = [UInt8](repeating: 0, count: 1024)
    let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
    guard n > 12 else { throw RawHTTPError("no response") }
    let head = String(decoding: buffer[0..<n], as: UTF8.self)
    let parts = head.split(separator: " ", maxSplits: 2)
    guard parts.count >= 2, let code = Int(parts[1]) else { throw RawHTTPError("bad status line: \(head.prefix(40))") }
    return code
}

public struct RawHTTPError: Error, CustomStringConvertible {
    public var description: String
    init(_ d: String) { description = d }
}
