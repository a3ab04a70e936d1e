import NIOCore
import NIOPosix

/// A TCP server on loopback that answers whatever it is sent with bytes
/// that are not RESP (what a wrong port, an HTTP server, a broken proxy
/// would send).
final class GarbageServer: Sendable {
    let channel: any Channel
    let port: Int

    private init(channel: any Channel) {
        self.channel = channel
        port = channel.localAddress?.port ?? 0
    }

    final class Answer: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var b = context.channel.allocator.buffer(capacity: 64)
            b.writeString("HTTP/1.1 400 Bad Request\r\n\r\n?\u{1}\u{2}")
            context.writeAndFlush(wrapOutboundOut(b), promise: nil)
        }
    }

    static func start() async throws -> GarbageServer {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { $0.pipeline.addHandler(Answer()) }
            .bind(host: "127.0.0.1", port: 0).get()
        return GarbageServer(channel: channel)
    }

    func stop() async { try? await channel.close() }
}
