import ClusterProtocol
import ClusterSim
import ClusterState
import ClusterdashTesting
import Dashboard
import EventSources
import Foundation
import Hummingbird
import HummingbirdWebSocket
import NIOCore
import NIOWebSocket
import RenderCore
import Synchronization
import Testing

@testable import ProtocolV1Source

/// A WebSocket server that says what it is told: on the first connection a
/// snapshot and then `hostile`, frame by frame; on every later one a snapshot,
/// then it stays quiet. Real sockets, real frames.
struct HostileServer {
    let port: Int
    let task: Task<Void, any Error>

    static func start(snapshot: String, hostile: [WebSocketOutboundWriter.OutboundFrame]) async throws -> HostileServer {
        let router = Router(context: BasicWebSocketRequestContext.self)
        let connections = Mutex(0)
        router.ws("/v1/stream") { inbound, outbound, _ in
            let n = connections.withLock { c in
                c += 1
                return c
            }
            try await outbound.write(.text(snapshot))
            if n == 1 {
                for frame in hostile { try await outbound.write(frame) }
            }
            for try await _ in inbound {}
        }
        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: Router(),
            server: .http1WebSocketUpgrade(
                webSocketRouter: router,
                configuration: HTTP1WebSocketUpgradeChannel.Configuration(ws: WebSocketServerConfiguration(maxFrameSize: 8 << 20))),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { portSink.yield($0.localAddress?.port ?? 0) },
            logger: quietLogger())
        let task = Task { try await app.runService() }
        var port = 0
        for await p in ports {
            port = p
            break
        }
        return HostileServer(port: port, task: task)
    }
}

/// Hostile frames (issue 15): invalid UTF-8 and JSON, binary frames, 100,000
/// levels of nesting, numbers too big for any field, terminal escape
/// sequences in every string field, seqs backwards and negative, 10,000
/// distinct node ids, and a 5 MiB frame. The source stays alive, counts each
/// refused frame, reconnects after the oversized one; the state stays within
/// its caps; no control character reaches the rendered screen.
@Suite(.serialized) struct HostileFramesTests {
    static let escapes = ["\u{1b}]0;pwned\u{07}", "\u{1b}[2J\u{1b}[H", "\u{9b}31m", "\u{1b}P+q\u{1b}\\", "\u{7f}\u{08}\u{0d}"]

    /// The frames, and how many of them the decoder must refuse.
    static func hostileFrames() -> (frames: [WebSocketOutboundWriter.OutboundFrame], refused: Int) {
        var f = EnvelopeFactory()
        var frames: [WebSocketOutboundWriter.OutboundFrame] = []
        var refused = 0
        func bad(_ frame: WebSocketOutboundWriter.OutboundFrame) {
            frames.append(frame)
            refused += 1
        }
        bad(.custom(WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(bytes: [0x7B, 0xFF, 0xFE, 0x22, 0x7D]))))
        bad(.text("{\"v\":1,\"id\":"))
        bad(.text("not json at all"))
        bad(.text(String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)))
        let head = "{\"v\":1,\"source\":\"node-1\",\"ts\":\"2026-11-23T13:00:00.000Z\",\"type\":\"node.left\",\"data\":{\"node\":\"node-2\"}"
        bad(.text(head + ",\"id\":\"h1\",\"seq\":1e400}"))
        bad(.text(head + ",\"id\":\"h2\",\"seq\":123456789012345678901234567890}"))
        bad(.text(head + ",\"id\":\"h3\",\"seq\":-5}"))
        for _ in 0..<3 { frames.append(.binary(ByteBuffer(bytes: [0, 1, 2, 0xFF]))) }
        // Escape sequences in every string field of a node that joins.
        for (k, esc) in escapes.enumerated() {
            let node = NodeInfo(
                id: "evil-\(k)\(esc)", address: "10.0.0.\(k)\(esc)", region: "\(esc)eu", role: .replica, health: .healthy, term: 1,
                managerState: .other("odd\(esc)"))
            frames.append(.text(EnvelopeCodec.encodeString(f.make(.nodeJoined(NodeJoined(node: node)), source: "node-1\(esc)"))))
        }
        // Seqs backwards: a source that goes 50 -> 3 (a restart, counted).
        for seq: Int64 in [50, 3] {
            var e = f.make(.heartbeat(NodeHeartbeat(node: "node-2", role: .replica, health: .healthy, term: 1)), source: "node-2")
            e.seq = seq
            frames.append(.text(EnvelopeCodec.encodeString(e)))
        }
        // 10,000 node ids, each from a source of its own.
        for i in 0..<10_000 {
            let node = NodeInfo(id: "n\(i)", role: .replica, health: .healthy, term: 1, managerState: .stable)
            frames.append(.text(EnvelopeCodec.encodeString(f.make(.nodeJoined(NodeJoined(node: node)), source: "s\(i)"))))
        }
        // Last: 5 MiB, over the 4 MiB frame limit (the connection is dropped).
        frames.append(.text("{\"pad\":\"" + String(repeating: "x", count: 5 << 20) + "\"}"))
        return (frames, refused)
    }

    @Test func hostileFramesAreRefusedCountedAndNeverReachTheTerminal() async throws {
        let sim = SimCluster(config: SimConfig(), start: EnvelopeFactory().now)
        let hostile = Self.hostileFrames()
        let server = try await HostileServer.start(snapshot: EnvelopeCodec.encodeString(sim.snapshot()), hostile: hostile.frames)
        defer { server.task.cancel() }
        var policy = fastPolicy()
        policy.connectTimeoutMillis = 2_000
        let source = WebSocketSource(
            endpoints: [EndpointConfig(url: "ws://127.0.0.1:\(server.port)/v1/stream")], policy: policy, clock: wallClockNow, logger: quiet())
        source.start()
        var model = AppModel(now: wallClockNow())
        var applied = 0
        let deadline = ContinuousClock.now.advanced(by: .seconds(60))
        // Until it has reconnected after the oversized frame and is live again.
        while ContinuousClock.now < deadline {
            var batch = source.queue.take()
            applied += batch.items.count
            _ = update(&model, .batch(batch, [], at: wallClockNow()))
            source.queue.recycle(&batch)
            if source.stats[0].connections >= 2, source.statuses[0].isLive, applied > 10_000 { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        let stats = source.stats[0]
        await source.stop()
        #expect(stats.connections >= 2, "no reconnect after the 5 MiB frame: \(source.statuses)")
        #expect(stats.decodeErrors >= hostile.refused, "refused \(stats.decodeErrors) of \(hostile.refused) bad frames")
        let state = model.state
        // Bounded: at most the node cap, whatever the stream names.
        #expect(state.nodes.count <= StateLimits().nodes, "\(state.nodes.count) nodes held")
        #expect(state.nodes.count >= StateLimits().nodes - 10, "the valid node.joined frames were not applied: \(state.nodes.count)")
        #expect(state.counters.restarts >= 1, "seq 50 -> 3 was not counted as a restart")
        // The escapes are held as data...
        #expect(state.nodes.keys.contains { $0.hasPrefix("evil-0\u{1b}]0;") } || state.nodes.count == StateLimits().nodes)
        // ...and never reach the terminal: no cell of any view holds a control character.
        for (w, h) in [(120, 40), (200, 60), (20, 5)] {
            var buffer = Buffer(size: Size(width: w, height: h))
            render(model, into: &buffer)
            for y in 0..<h {
                for x in 0..<w where buffer[x, y].symbol.isTerminalControl {
                    Issue.record("a control character at \(x),\(y) of a \(w)x\(h) screen")
                }
            }
        }
        // The view that lists them: the evil nodes alone, in the node table.
        var only = ClusterState()
        for (k, esc) in Self.escapes.enumerated() {
            var f = EnvelopeFactory()
            let node = NodeInfo(
                id: "evil-\(k)\(esc)", address: "a\(esc)", region: "\(esc)r", role: .replica, health: .healthy, term: 1, managerState: .stable)
            only.apply(f.make(.nodeJoined(NodeJoined(node: node)), source: "x\(k)"))
        }
        var small = AppModel(now: wallClockNow())
        small.feed = Feed(state: only)
        var buffer = Buffer(size: Size(width: 160, height: 50))
        render(small, into: &buffer)
        #expect(buffer.text.contains("evil-0?]0;pwned?"), "\(buffer.text)")
        #expect(!buffer.text.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" || (0x7F...0x9F).contains($0.value) })
    }
}
