import ClusterProtocol
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOWebSocket

/// One WebSocket connection to the simulator: reads client ops, writes the
/// subscriber's stream. The first frame must be `subscribe`; a command
/// before it, or anything unreadable, gets `command.result` rejected
/// `invalid_request` and the connection stays open.
struct Session<Engine: ServedEngine>: Sendable {
    let core: StreamCore<Engine>
    let scope: TokenScope
    let node: String?
    let options: StreamServerOptions
    let channel: any Channel
    let logger: Logger
    /// Snapshot requests for a flood, which answers them itself, in its own order.
    let floodAsks = FloodAsks()

    enum Ended: Error { case byServer(SubscriptionEnd?) }

    func run(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async throws {
        let covering: Set<String>? = node.map { [$0] }
        var subscription: Int?
        defer {
            if let subscription { Task { await core.unsubscribe(subscription) } }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            var iterator = inbound.messages(maxSize: options.maxClientFrameBytes).makeAsyncIterator()
            while let message = try await iterator.next() {
                guard case .text(let text) = message else {
                    await core.received(isCommand: false)
                    try await rejectInvalid(requestID: nil, op: nil, subscription, outbound)
                    continue
                }
                let op: ClientOp
                do throws(ClientOpError) {
                    op = try ClientOpCodec.decode(text)
                } catch {
                    await core.received(isCommand: false)
                    logger.debug("invalid client frame: \(error.description)")
                    try await rejectInvalid(requestID: error.requestID, op: error.op, subscription, outbound)
                    continue
                }
                await core.received(isCommand: op.isCommand)
                switch op {
                case .subscribe(let resume):
                    if subscription != nil, options.flood {
                        floodAsks.ask()
                        continue
                    }
                    if let id = subscription {
                        await core.sendSnapshot(to: id, source: node)
                        continue
                    }
                    let (id, stream) = await core.subscribe(resume: resume, covering: covering, snapshotSource: node)
                    subscription = id
                    group.addTask {
                        try await write(stream, id: id, outbound: outbound)
                    }
                case .snapshot:
                    if subscription != nil, options.flood {
                        floodAsks.ask()
                    } else if let id = subscription {
                        await core.sendSnapshot(to: id, source: node)
                    } else {
                        try await rejectInvalid(requestID: nil, op: "snapshot", nil, outbound)
                    }
                case .promote, .migrate, .cancelMigration, .stepDown:
                    if let id = subscription {
                        await core.command(op, scope: scope, from: id, requestedBy: scope == .operate ? "operator" : "reader")
                    } else {
                        try await rejectInvalid(requestID: op.requestID, op: op.op, nil, outbound)
                    }
                }
            }
            group.cancelAll()
        }
    }

    /// `command.result` rejected `invalid_request` to this connection alone:
    /// through its subscription when there is one (so it queues behind the
    /// events already sent), else straight to the socket.
    func rejectInvalid(requestID: String?, op: String?, _ subscription: Int?, _ outbound: WebSocketOutboundWriter) async throws {
        if let subscription {
            await core.deliverInvalid(requestID: requestID, op: op, to: subscription)
        } else {
            try await outbound.write(.text(await core.invalidRequest(requestID: requestID, op: op)))
        }
    }

    /// Writes the subscriber's stream to the socket, batch by batch, and
    /// closes the connection when the core ends the subscription.
    func write(_ stream: AsyncStream<[String]>, id: Int, outbound: WebSocketOutboundWriter) async throws {
        if options.flood {
            try await flood(stream: stream, outbound: outbound)
            return
        }
        for await batch in stream {
            for text in batch {
                try await outbound.write(.text(text))
            }
        }
        guard !Task.isCancelled else { return }
        let reason = await core.endReason(id)
        switch reason {
        case .tooSlow:
            try? await outbound.close(.policyViolation, reason: "consumer too slow; reconnect and resume")
        case .nodeCrashed:
            try? await outbound.close(.goingAway, reason: "node crashed")
        default:
            try? await outbound.close(.goingAway, reason: "server shutting down")
        }
        // A peer that does not answer the close handshake is cut off.
        try? await Task.sleep(for: .seconds(3))
        try? await channel.close()
        throw Ended.byServer(reason)
    }
}
