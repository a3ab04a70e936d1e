import NIOCore
import NIOPosix

/// A TCP server on loopback that answers with bytes no engine speaks (what
/// a wrong port, an HTTP server, a broken proxy would send): to whatever
/// it is sent, and, for protocols where the server speaks first (MySQL's
/// greeting), as soon as a client connects.
public final class GarbageServer: Sendable {
    let channel: any Channel
    public let port: Int

    private init(channel: any Channel) {
        self.channel = channel
        port = channel.localAddress?.port ?? 0
    }

    final class Answer: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let first: Bool

        init(first: Bool) { self.first = first }

        func channelActive(context: ChannelHandlerContext) {
            if first { answer(context) }
            context.fireChannelActive()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) { answer(context) }

        func answer(_ context: ChannelHandlerContext) {
            var b = context.channel.allocator.buffer(capacity: 64)
            b.writeString("HTTP/1.1 400 Bad Request\r\n\r\n?\u{1}\u{2}")
            context.writeAndFlush(wrapOutboundOut(b), promise: nil)
        }
    }

    /// `first`: it speaks as soon as a client connects.
    public static func start(first: Bool = false) async throws -> GarbageServer {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { $0.pipeline.addHandler(Answer(first: first)) }
            .bind(host: "127.0.0.1", port: 0).get()
        return GarbageServer(channel: channel)
    }

    public func stop() async { try? await channel.close() }
}
