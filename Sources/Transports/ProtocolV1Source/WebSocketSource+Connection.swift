import ClusterProtocol
import EventSources
import Foundation
import HTTPTypes
import NIOCore
import NIOSSL
import WSClient

/// One connection's life, step by step: connect, subscribe, then a writer,
/// a watchdog and a reader side by side until one ends it; and why it ended,
/// in words.
extension WebSocketSource {
    /// Lives one connection: returns why it ended.
    func connectOnce(endpoint i: Int, config: EndpointConfig, machine: inout ReconnectMachine) async -> DisconnectReason {
        let tls: TLSConfiguration?
        do {
            tls = try tlsConfiguration(for: config)
        } catch {
            return .fatal("TLS setup: \(error)")
        }
        let box = ConnectionBox(machine: machine)
        let wsConfig = clientConfiguration(for: config)
        let connection = Task { () -> Result<WebSocketCloseFrame?, any Error> in
            defer { box.markFinished() }
            do {
                // The server's close frame, when it closed the connection.
                let closed = try await WebSocketClient.connect(
                    url: config.url, configuration: wsConfig, tlsConfiguration: tls, logger: logger
                ) { inbound, outbound, _ in
                    try await self.serve(endpoint: i, config: config, inbound: inbound, outbound: outbound, box: box)
                }
                return .success(closed)
            } catch {
                return .failure(error)
            }
        }
        if let ended = await awaitHandshake(connection, box: box, tls: tls, machine: &machine) { return ended }
        let result = await withTaskCancellationHandler {
            await connection.value
        } onCancel: {
            connection.cancel()
        }
        machine = box.machine
        return await reason(result, box: box, config: config, tls: tls)
    }

    /// The client's settings: the frame limit, the bearer token, pings every 10 s.
    func clientConfiguration(for config: EndpointConfig) -> WebSocketClientConfiguration {
        var headers = HTTPFields()
        if let token = config.token { headers[.authorization] = "Bearer \(token)" }
        return WebSocketClientConfiguration(
            maxFrameSize: EnvelopeCodec.maxFrameBytes, additionalHeaders: headers, autoPing: .enabled(timePeriod: .seconds(10)),
            sniHostname: config.sniHostname)
    }

    /// A handshake that hangs ignores cancellation: it is raced against a
    /// timeout. Nil once connected (or the attempt ended on its own).
    func awaitHandshake(
        _ connection: Task<Result<WebSocketCloseFrame?, any Error>, Never>, box: ConnectionBox, tls: TLSConfiguration?,
        machine: inout ReconnectMachine
    ) async -> DisconnectReason? {
        let deadline = clock().adding(millis: policy.connectTimeoutMillis)
        while !box.isConnected {
            if Task.isCancelled {
                connection.cancel()
                return .closed("stopped")
            }
            // An attempt that has ended is judged by how it ended, even when
            // this task wakes after the deadline (a busy machine): a refusal
            // is not a timeout.
            if box.finished { break }
            if clock() > deadline {
                connection.cancel()
                machine = box.machine
                // A plain ws:// server says nothing to a TLS hello: name it.
                return .closed(tls == nil ? "handshake timed out" : "handshake timed out (TLS: no answer to the TLS hello; a ws:// server?)")
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }

    /// Connected: subscribe (resuming from the last seq seen per source),
    /// then the writer, the watchdog and the reader until one ends.
    func serve(
        endpoint i: Int, config: EndpointConfig, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, box: ConnectionBox
    ) async throws {
        let resume = shared.withLock { $0.seqs.last }
        // Nothing queued from an earlier connection is sent now; what is
        // queued from here on wakes the writer.
        let (wake, waker) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        shared.withLock {
            $0.outgoing[i] = []
            $0.wakers[i] = waker
        }
        defer {
            waker.finish()
            shared.withLock { $0.wakers[i] = nil }
        }
        try await outbound.write(.text(ClientOpCodec.encode(.subscribe(resume: resume.isEmpty ? nil : resume))))
        box.connected(now: clock())
        shared.withLock { $0.stats[i].connections += 1 }
        setStatus(i, box.status)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.write(endpoint: i, wake: wake, outbound: outbound) }
            group.addTask { try await self.watch(endpoint: i, box: box, outbound: outbound) }
            group.addTask { try await self.read(endpoint: i, config: config, inbound: inbound, box: box) }
            _ = try await group.next()
            group.cancelAll()
        }
    }

    /// Writer: sends queued frames when woken (no polling).
    func write(endpoint i: Int, wake: AsyncStream<Void>, outbound: WebSocketOutboundWriter) async throws {
        for await _ in wake {
            let pending = shared.withLock { s -> [String] in
                defer { s.outgoing[i] = [] }
                return s.outgoing[i]
            }
            for text in pending { try await outbound.write(.text(text)) }
        }
    }

    /// Watchdog: once a second, drops a connection that went stale.
    func watch(endpoint i: Int, box: ConnectionBox, outbound: WebSocketOutboundWriter) async throws {
        while !Task.isCancelled {
            try await Task.sleep(for: .seconds(1))
            if box.tick(now: clock()) == .dropStale {
                setStatus(i, box.status)
                try? await outbound.close(.goingAway, reason: "stale: no data for 30 s")
                throw ConnectionEnd.stale
            }
        }
    }

    /// Reader: whole messages out of the frames, each decoded straight from
    /// its buffer and queued; "last heard" and the shown status follow.
    func read(endpoint i: Int, config: EndpointConfig, inbound: WebSocketInboundStream, box: ConnectionBox) async throws {
        var assembler = MessageAssembler()
        var statusTick = 0
        var lastHeard = Timestamp(millis: 0)
        var lastStatus = Timestamp(millis: 0)
        var answered = false
        for try await frame in inbound {
            guard var message = try assembler.take(frame) else { continue }
            let now = clock()
            // "Last heard" at 50 ms resolution is plenty (staleness is 30 s)
            // and spares a lock per frame in a flood.
            if now.millis(since: lastHeard) >= 50 {
                lastHeard = now
                box.heard(now: now)
            }
            // The shown status (its "last frame") follows at least once a
            // second, or every 256 frames in a flood.
            statusTick += 1
            if statusTick & 255 == 0 || now.millis(since: lastStatus) >= 1_000 {
                lastStatus = now
                setStatus(i, box.status)
            }
            guard deliver(&message, endpoint: i, config: config, at: now) else { continue }
            if !answered {
                // The subscription is answered: a restart after this resets the backoff count.
                answered = true
                box.subscribed(now: now)
            }
        }
        // The server closed the connection: returning (not throwing) lets
        // the client hand back its close frame, which says why.
    }

    /// One message decoded and queued (true), or counted as undecodable.
    func deliver(_ message: inout ByteBuffer, endpoint i: Int, config: EndpointConfig, at now: Timestamp) -> Bool {
        do throws(ProtocolError) {
            let e = try message.withUnsafeReadableBytes { (raw) throws(ProtocolError) -> Envelope in try EnvelopeCodec.decode(raw) }
            shared.withLock { s in
                s.seqs.record(e)
                s.stats[i].frames += 1
                if e.seq > 0 {
                    s.stats[i].lastSource = e.source
                    s.stats[i].lastSeq = e.seq
                }
            }
            queue.push(Received(envelope: e, endpoint: i, receivedAt: now))
            return true
        } catch {
            shared.withLock { $0.stats[i].decodeErrors += 1 }
            logger.warning("endpoint \(config.displayName): undecodable frame: \(error.message)")
            return false
        }
    }

    /// Why the connection ended, in the words the endpoint's status shows.
    func reason(
        _ result: Result<WebSocketCloseFrame?, any Error>, box: ConnectionBox, config: EndpointConfig, tls: TLSConfiguration?
    ) async -> DisconnectReason {
        switch result {
        case .success(let closed):
            guard box.wasConnected else { return .closed("closed before the WebSocket upgrade") }
            return .closed(Self.closedByTheServer(closed?.reason))
        case .failure(let error):
            if case ConnectionEnd.stale = error { return .closed("stale") }
            if case ConnectionEnd.tooLarge = error { return .closed("a fragmented message over \(EnvelopeCodec.maxFrameBytes) bytes") }
            if let e = error as? WebSocketClientError, e == .webSocketUpgradeFailed {
                // The client does not say why; ask the server with a plain request.
                let status = await HTTPProbe.status(url: config.url, token: config.token, tls: tls, serverName: config.tlsServerName)
                if status == 401 { return .unauthorized }
                return .closed(status.map { "upgrade refused: HTTP \($0)" } ?? "WebSocket upgrade refused")
            }
            if let e = error as? WebSocketClientError, e == .invalidURL { return .fatal("invalid URL") }
            if box.wasConnected { return .closed("closed by the server") }
            return .closed(ConnectErrors.describe(error, host: URLComponents(string: config.url)?.host))
        }
    }

    /// "closed by the server", with the reason its close frame gave
    /// ("server shutting down", "node crashed"), untrusted text: no control
    /// or format characters, at most 123 of them (a close frame's limit in
    /// bytes).
    static func closedByTheServer(_ reason: String?) -> String {
        let kept = (reason ?? "").unicodeScalars.filter { scalar in
            switch scalar.properties.generalCategory {
            case .control, .format, .lineSeparator, .paragraphSeparator, .privateUse, .surrogate, .unassigned: false
            default: true
            }
        }
        let shown = String(String.UnicodeScalarView(kept.prefix(123))).trimmingCharacters(in: .whitespaces)
        return shown.isEmpty ? "closed by the server" : "closed by the server: \(shown)"
    }
}

/// Whole text messages out of WebSocket frames: a fragmented one is
/// assembled (up to the frame limit), binary ones and their continuations
/// are skipped. A state machine as a value.
struct MessageAssembler {
    private var assembling: ByteBuffer?
    private var skippingBinary = false

    /// The message this frame completes, if any.
    mutating func take(_ frame: WebSocketDataFrame) throws -> ByteBuffer? {
        switch frame.opcode {
        case .text:
            skippingBinary = false
            guard frame.fin else {
                assembling = frame.data
                return nil
            }
            assembling = nil
            return frame.data
        case .continuation:
            guard !skippingBinary, var partial = assembling else { return nil }
            guard partial.readableBytes + frame.data.readableBytes <= EnvelopeCodec.maxFrameBytes else { throw ConnectionEnd.tooLarge }
            var more = frame.data
            partial.writeBuffer(&more)
            guard frame.fin else {
                assembling = partial
                return nil
            }
            assembling = nil
            return partial
        case .binary:
            skippingBinary = !frame.fin
            assembling = nil
            return nil
        }
    }
}
