import EventSources
import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// Asks a WebSocket endpoint, with a plain HTTP/1.1 upgrade request, what
/// status it answers. The WebSocket client only reports "upgrade failed";
/// this tells a 401 (show "unauthorized", retry slowly) from other refusals.
enum HTTPProbe {
    static func status(url: String, token: String?, tls: TLSConfiguration?, serverName: String? = nil) async -> Int? {
        guard let c = URLComponents(string: url), let host = c.host else { return nil }
        let secure = c.scheme == "wss" || c.scheme == "https"
        let port = c.port ?? (secure ? 443 : 80)
        let path = (c.percentEncodedPath.isEmpty ? "/" : c.percentEncodedPath) + (c.percentEncodedQuery.map { "?\($0)" } ?? "")
        var request = "GET \(path) HTTP/1.1\r\nHost: \(host)\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
        request += "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: Y2x1c3RlcmRhc2gtcHJvYmU=\r\n"
        if let token { request += "Authorization: Bearer \(token)\r\n" }
        request += "\r\n"
        let collector = StatusCollector()
        do {
            let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(5))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if secure, let tls {
                            let context = try NIOSSLContext(configuration: tls)
                            let name = serverName ?? (EndpointConfig.isIPAddress(host) ? nil : host)
                            let handler = try NIOSSLClientHandler(context: context, serverHostname: name)
                            try channel.pipeline.syncOperations.addHandler(handler)
                        }
                        try channel.pipeline.syncOperations.addHandler(collector)
                    }
                }
            let channel = try await bootstrap.connect(host: host, port: port).get()
            try await channel.writeAndFlush(ByteBuffer(string: request)).get()
            let deadline = ContinuousClock.now.advanced(by: .seconds(5))
            while collector.code == nil, ContinuousClock.now < deadline, channel.isActive {
                try await Task.sleep(for: .milliseconds(10))
            }
            try? await channel.close()
        } catch {
            return collector.code
        }
        return collector.code
    }
}

/// Reads the status code from the first line of an HTTP response.
final class StatusCollector: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    private let head = Mutex<(text: String, code: Int?)>(("", nil))

    var code: Int? { head.withLock { $0.code } }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        let chunk = buffer.readString(length: buffer.readableBytes) ?? ""
        head.withLock { h in
            guard h.code == nil else { return }
            h.text += chunk
            if let line = h.text.split(separator: "\r\n", maxSplits: 1).first, h.text.contains("\r\n") {
                let parts = line.split(separator: " ")
                if parts.count >= 2 { h.code = Int(parts[1]) }
            }
        }
    }
}
