import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// Bytes out, for a transport.
protocol NATSTransport: Sendable {
    func write(_ bytes: ByteBuffer)
    func close()
}

/// One connection to a NATS server: subscriptions as bounded streams,
/// publishes, request/reply through one inbox subscription, PING/PONG both
/// ways. A subscriber that falls `subscriptionBuffer` messages behind closes
/// the connection (a reconnect resumes; memory never grows).
public final class NATSConnection: Sendable {
    struct State {
        var nextSID = 1
        var pongs: [CheckedContinuation<Void, any Error>] = []
        var requests: [String: CheckedContinuation<NATSMessage, any Error>] = [:]
        var nextRequest = 0
        var infoText: String?
        var infoWaiter: CheckedContinuation<String, any Error>?
        var lastError: String?
        var closedReason: String?
    }

    private let transport: any NATSTransport
    private let inbound: NATSInbound
    private let state = Mutex(State())
    private let reader = Mutex<Task<Void, Never>?>(nil)
    public let address: NATSAddress
    /// Unique to this connection: replies come to `<inbox>.<n>`.
    public let inbox: String
    public let subscriptionBuffer: Int

    /// The sid of the inbox subscription (request replies go to the reader).
    static let inboxSID = "inbox"

    init(transport: any NATSTransport, inbound: NATSInbound, address: NATSAddress, subscriptionBuffer: Int) {
        self.transport = transport
        self.inbound = inbound
        self.address = address
        self.subscriptionBuffer = subscriptionBuffer
        inbox = "_INBOX.\(NATSConnection.randomToken())"
    }

    static func randomToken() -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        return String((0..<22).map { _ in alphabet[Int.random(in: 0..<alphabet.count)] })
    }

    /// Connects, reads INFO, sends CONNECT (headers and no-responders on)
    /// and waits for the PONG that proves it was accepted.
    public static func connect(
        _ address: NATSAddress, credentials: NATSCredentials = NATSCredentials(), name: String = "clusterdash",
        timeout: Duration = .seconds(3), subscriptionBuffer: Int = 200_000, logger: Logger
    ) async throws -> NATSConnection {
        let (ops, sink) = AsyncStream<NATSServerOp>.makeStream(bufferingPolicy: .bufferingOldest(subscriptionBuffer))
        let closed = ClosedReason()
        let inbound = NATSInbound(ops: sink, closed: closed, subscriptionBuffer: subscriptionBuffer)
        let transport: any NATSTransport
        if address.webSocket {
            transport = try await NATSWebSocketTransport.connect(address, inbound: inbound, timeout: timeout, logger: logger)
        } else {
            transport = try await NATSTCPTransport.connect(address, inbound: inbound, timeout: timeout)
        }
        let connection = NATSConnection(transport: transport, inbound: inbound, address: address, subscriptionBuffer: subscriptionBuffer)
        connection.startReading(ops, closed: closed)
        do {
            _ = try await connection.withTimeout(timeout, what: "INFO") {
                try await withCheckedThrowingContinuation { (c: CheckedContinuation<String, any Error>) in
                    connection.state.withLock { s in
                        if let info = s.infoText {
                            c.resume(returning: info)
                        } else if let why = s.closedReason {
                            c.resume(throwing: NATSError.closed(why))
                        } else {
                            s.infoWaiter = c
                        }
                    }
                }
            }
            var fields: [String: Any] = [
                "verbose": false, "pedantic": false, "headers": true, "no_responders": true, "protocol": 1, "lang": "swift",
                "version": "0.1", "name": name,
            ]
            if let user = credentials.user { fields["user"] = user }
            if let password = credentials.password { fields["pass"] = password }
            if let token = credentials.token { fields["auth_token"] = token }
            let json = try JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
            var out = ByteBuffer()
            out.writeStaticString("CONNECT ")
            out.writeBytes(json)
            out.writeStaticString("\r\n")
            transport.write(out)
            do {
                try await connection.flush(timeout: timeout)
            } catch {
                let err = connection.state.withLock { $0.lastError }
                if let err { throw NATSError.refused(err) }
                throw error
            }
            return connection
        } catch {
            connection.close()
            throw error
        }
    }

    /// The server's INFO, as JSON text (its `connect_urls` name the cluster's other servers).
    public var serverInfo: String? { state.withLock { $0.infoText } }
    /// The last `-ERR` the server sent.
    public var lastError: String? { state.withLock { $0.lastError } }
    /// Why the connection ended; nil while it is open.
    public var closedReason: String? { state.withLock { $0.closedReason } }

    public func close() {
        transport.close()
    }

    /// Waits until the reader has seen the connection end.
    public func closed() async {
        let task = reader.withLock { $0 }
        await task?.value
    }

    // MARK: Operations

    public func publish(_ subject: String, replyTo: String? = nil, headers: [NATSHeader] = [], payload: [UInt8]) {
        var out = ByteBuffer()
        NATSClientOps.pub(subject: subject, replyTo: replyTo, headers: headers, payload: payload, into: &out)
        transport.write(out)
    }

    /// Several publishes in one write.
    public func publish(batch: [(subject: String, replyTo: String?, headers: [NATSHeader], payload: [UInt8])]) {
        guard !batch.isEmpty else { return }
        var out = ByteBuffer()
        for p in batch { NATSClientOps.pub(subject: p.subject, replyTo: p.replyTo, headers: p.headers, payload: p.payload, into: &out) }
        transport.write(out)
    }

    public struct Subscription: Sendable {
        public let sid: String
        public let messages: AsyncStream<NATSMessage>
    }

    /// Subscribes; the stream ends when the connection does or on `unsubscribe`.
    public func subscribe(_ subject: String, queue: String? = nil) -> Subscription {
        let (stream, continuation) = AsyncStream<NATSMessage>.makeStream(bufferingPolicy: .bufferingOldest(subscriptionBuffer))
        let sid: String = state.withLock { s in
            defer { s.nextSID += 1 }
            return String(s.nextSID)
        }
        // Added only while the connection lives (else the stream ends now).
        guard inbound.add(sid, continuation) else { return Subscription(sid: "0", messages: stream) }
        var out = ByteBuffer()
        NATSClientOps.sub(subject: subject, queue: queue, sid: sid, into: &out)
        transport.write(out)
        return Subscription(sid: sid, messages: stream)
    }

    public func unsubscribe(_ sid: String) {
        inbound.remove(sid)
        var out = ByteBuffer()
        NATSClientOps.unsub(sid: sid, into: &out)
        transport.write(out)
    }

    /// PING, and wait for the PONG: everything sent before is processed.
    public func flush(timeout: Duration = .seconds(3)) async throws {
        try await withTimeout(timeout, what: "PING") {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
                let ok = self.state.withLock { s -> Bool in
                    if s.closedReason != nil { return false }
                    s.pongs.append(c)
                    return true
                }
                if ok {
                    var out = ByteBuffer()
                    out.writeStaticString("PING\r\n")
                    self.transport.write(out)
                } else {
                    c.resume(throwing: NATSError.closed(self.closedReason ?? "closed"))
                }
            }
        }
    }

    /// Publishes with a reply subject of this connection's inbox and waits
    /// for the first answer. No responders is an immediate error.
    public func request(_ subject: String, headers: [NATSHeader] = [], payload: [UInt8], timeout: Duration = .seconds(5)) async throws
        -> NATSMessage
    {
        ensureInbox()
        let token: String = state.withLock { s in
            s.nextRequest += 1
            return String(s.nextRequest)
        }
        // A request not answered in time fails alone: the connection stays
        // (JetStream without a leader does not answer, and everything else
        // on the connection still works); a late answer finds no one.
        let timer = Mutex<Task<Void, Never>?>(nil)
        defer { timer.withLock { $0?.cancel() } }
        let answer = try await withCheckedThrowingContinuation { (c: CheckedContinuation<NATSMessage, any Error>) in
            let ok = self.state.withLock { s -> Bool in
                if s.closedReason != nil { return false }
                s.requests[token] = c
                return true
            }
            guard ok else {
                c.resume(throwing: NATSError.closed(self.closedReason ?? "closed"))
                return
            }
            timer.withLock {
                $0 = Task { [self] in
                    guard (try? await Task.sleep(for: timeout)) != nil else { return }
                    self.state.withLock { $0.requests.removeValue(forKey: token) }?.resume(throwing: NATSError.timedOut(subject))
                }
            }
            self.publish(subject, replyTo: "\(self.inbox).\(token)", headers: headers, payload: payload)
        }
        if answer.status == 503 { throw NATSError.noResponders(subject) }
        return answer
    }

    private let inboxSID = Mutex<String?>(nil)

    private func ensureInbox() {
        let needed = inboxSID.withLock { sid -> Bool in
            if sid != nil { return false }
            sid = Self.inboxSID
            return true
        }
        guard needed else { return }
        var out = ByteBuffer()
        NATSClientOps.sub(subject: "\(inbox).*", queue: nil, sid: Self.inboxSID, into: &out)
        transport.write(out)
    }

    // MARK: Reading

    private func startReading(_ ops: AsyncStream<NATSServerOp>, closed: ClosedReason) {
        let task = Task { [self] in
            for await op in ops {
                switch op {
                case .ping:
                    var out = ByteBuffer()
                    out.writeStaticString("PONG\r\n")
                    transport.write(out)
                case .pong:
                    let c = state.withLock { s in s.pongs.isEmpty ? nil : s.pongs.removeFirst() }
                    c?.resume()
                case .ok:
                    break
                case .info(let text):
                    let waiter = state.withLock { s in
                        s.infoText = text
                        defer { s.infoWaiter = nil }
                        return s.infoWaiter
                    }
                    waiter?.resume(returning: text)
                case .err(let text):
                    state.withLock { $0.lastError = text }
                case .message(let m):
                    // Only request replies come here (NATSInbound gives
                    // every subscription its messages directly).
                    let token = m.subject.split(separator: ".").last.map(String.init) ?? ""
                    let c = state.withLock { $0.requests.removeValue(forKey: token) }
                    c?.resume(returning: m)
                }
            }
            // The stream ended: the connection is gone.
            let why = closed.value ?? state.withLock { $0.lastError } ?? "closed by the server"
            let s = state.withLock { s -> State in
                s.closedReason = why
                let copy = s
                s.pongs = []
                s.requests = [:]
                s.infoWaiter = nil
                return copy
            }
            inbound.endAll()
            for c in s.pongs { c.resume(throwing: NATSError.closed(why)) }
            for c in s.requests.values { c.resume(throwing: NATSError.closed(why)) }
            s.infoWaiter?.resume(throwing: NATSError.closed(why))
        }
        reader.withLock { $0 = task }
    }

    /// Runs `body`; after `timeout` the connection is closed (a late answer
    /// can never be taken for another's) and `timedOut` thrown. The answer
    /// and the timer race for one outcome: a timer that wakes as the answer
    /// comes closes nothing (CI, a loaded machine: the timer closed a
    /// connection whose INFO had just been taken, and the next request
    /// found it "closed by the server"); an answer that lost is the timeout.
    private func withTimeout<T: Sendable>(_ timeout: Duration, what: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        // 0 running, 1 answered, 2 timed out.
        let outcome = Atomic<Int>(0)
        let transport = self.transport
        let timer = Task {
            try await Task.sleep(for: timeout)
            if outcome.compareExchange(expected: 0, desired: 2, ordering: .acquiringAndReleasing).exchanged { transport.close() }
        }
        defer { timer.cancel() }
        let result: Result<T, any Error>
        do {
            result = .success(try await body())
        } catch {
            result = .failure(error)
        }
        // Settled first by the answer (or its error), or by the timer.
        guard outcome.compareExchange(expected: 0, desired: 1, ordering: .acquiringAndReleasing).exchanged else {
            throw NATSError.timedOut(what)
        }
        return try result.get()
    }
}
