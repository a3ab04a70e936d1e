import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// Why a transport ended, when we know better than "closed".
final class ClosedReason: Sendable {
    private let reason = Mutex<String?>(nil)
    func set(_ why: String) { reason.withLock { if $0 == nil { $0 = why } } }
    var value: String? { reason.withLock { $0 } }
}

/// TCP: the decoder in the pipeline, operations forwarded to the reader.
struct NATSTCPTransport: NATSTransport {
    let channel: any Channel

    static func connect(_ address: NATSAddress, inbound: NATSInbound, timeout: Duration) async throws -> NATSTCPTransport {
        let millis = Int64(timeout.components.seconds * 1_000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        do {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.milliseconds(millis))
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(NATSDecoder()))
                        try channel.pipeline.syncOperations.addHandler(OpForwarder(inbound: inbound))
                    }
                }
                .connect(host: address.host, port: address.port)
                .get()
            return NATSTCPTransport(channel: channel)
        } catch {
            inbound.finish()
            throw NATSError.closed(NATSConnectErrors.describe(error))
        }
    }

    func write(_ bytes: ByteBuffer) { channel.writeAndFlush(bytes, promise: nil) }
    func close() { channel.close(promise: nil) }
}

/// Hands decoded operations to the connection (`NATSInbound`).
final class OpForwarder: ChannelInboundHandler, Sendable {
    typealias InboundIn = NATSServerOp
    let inbound: NATSInbound
    var closed: ClosedReason { inbound.closed }

    init(inbound: NATSInbound) { self.inbound = inbound }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if !inbound.take(unwrapInboundIn(data)) { context.close(promise: nil) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        inbound.finish()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let e = error as? NATSProtocolError {
            closed.set("answered garbage (\(e.description))")
        } else {
            closed.set("\(error)")
        }
        context.close(promise: nil)
    }
}

/// Names a failed connect the way an operator reads it.
enum NATSConnectErrors {
    static func describe(_ error: any Error) -> String {
        if let e = error as? NIOConnectionError {
            if let first = e.connectionErrors.first { return describe(first.error) }
            if e.dnsAAAAError != nil || e.dnsAError != nil { return "no such host" }
        }
        if let e = error as? IOError {
            switch e.errnoCode {
            case ECONNREFUSED: return "refused"
            case ETIMEDOUT: return "timed out"
            case EHOSTUNREACH, ENETUNREACH: return "unreachable"
            default: return "\(e)"
            }
        }
        if error is ChannelError { return "timed out" }
        return "\(error)"
    }
}
