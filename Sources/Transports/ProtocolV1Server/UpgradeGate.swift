import Foundation
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOCore
import Synchronization

/// Decides, from a request's path and `Authorization` header, whether it may
/// go on; returns the HTTP status to refuse it with (401, 503) or nil.
typealias GateDecision = @Sendable (_ path: String, _ authorization: String?) -> (status: Int, reason: String)?

/// Nodes of the simulator that are down, readable from event-loop threads.
final class DownNodes: Sendable {
    private let set = Mutex<Set<String>>([])

    func contains(_ node: String) -> Bool { set.withLock { $0.contains(node) } }
    func insert(_ node: String) { _ = set.withLock { $0.insert(node) } }
    func remove(_ node: String) { _ = set.withLock { $0.remove(node) } }
}

/// The first handler of every connection: reads the raw request head and
/// answers a refused upgrade with the real status (401 Unauthorized, 503)
/// before any HTTP or WebSocket handling, which would only say 400. An
/// allowed request passes on untouched and the handler removes itself.
final class UpgradeGateHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let decide: GateDecision
    private var buffered: ByteBuffer?
    private static let maxHead = 16 * 1024

    init(decide: @escaping GateDecision) {
        self.decide = decide
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        if var b = buffered {
            b.writeBuffer(&incoming)
            buffered = b
        } else {
            buffered = incoming
        }
        guard let head = buffered, let text = head.getString(at: head.readerIndex, length: head.readableBytes) else { return }
        guard let end = text.range(of: "\r\n\r\n") else {
            if head.readableBytes > UpgradeGateHandler.maxHead { pass(context) }
            return
        }
        let lines = text[..<end.lowerBound].split(separator: "\r\n", omittingEmptySubsequences: false)
        let requestLine = lines.first.map { $0.split(separator: " ") } ?? []
        let path = requestLine.count > 1 ? String(requestLine[1]) : "/"
        var authorization: String?
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            if line[..<colon].lowercased() == "authorization" {
                authorization = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        if let refusal = decide(String(path.split(separator: "?").first ?? ""), authorization) {
            let body = refusal.reason + "\n"
            var response = "HTTP/1.1 \(refusal.status) \(refusal.status == 401 ? "Unauthorized" : "Service Unavailable")\r\n"
            if refusal.status == 401 { response += "WWW-Authenticate: Bearer\r\n" }
            response += "Content-Type: text/plain\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
            buffered = nil
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: response))).whenComplete { _ in
                channel.close(promise: nil)
            }
            return
        }
        pass(context)
    }

    private func pass(_ context: ChannelHandlerContext) {
        if let b = buffered {
            buffered = nil
            context.fireChannelRead(wrapInboundOut(b))
        }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}

/// The WebSocket-upgrading HTTP/1 channel with the gate in front of it.
struct GatedChildChannel: ServerChildChannel {
    typealias Value = HTTP1WebSocketUpgradeChannel.Value
    let base: HTTP1WebSocketUpgradeChannel
    let decide: GateDecision

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(UpgradeGateHandler(decide: decide))
        }.flatMap {
            base.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}
