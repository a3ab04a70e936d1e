import ClusterProtocol
import ClusterSim
import ClusterState
import ClusterdashTesting
import EventSources
import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import ProtocolV1Server
import Simulator
import Testing

@testable import ProtocolV1Source

/// Waits until `source`'s first endpoint has failed at least once, and
/// returns why (the reason its status carries).
func firstFailure(of source: WebSocketSource, timeout: Duration = .seconds(15)) async throws -> String {
    let deadline = ContinuousClock.now.advanced(by: timeout)
    while ContinuousClock.now < deadline {
        switch source.statuses[0] {
        case .backingOff(_, _, let reason): return reason
        case .connecting(_, let last?): return last
        case .failed(let reason): return reason
        default: try await Task.sleep(for: .milliseconds(10))
        }
    }
    throw TestTimeout(what: "a failed attempt", received: 0, lastTypes: ["\(source.statuses)"])
}

/// A TCP listener on loopback that accepts and never answers (a hung server).
func silentListener() async throws -> (any Channel, Int) {
    let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        .childChannelInitializer { $0.eventLoop.makeSucceededVoidFuture() }
        .bind(host: "127.0.0.1", port: 0).get()
    return (channel, channel.localAddress?.port ?? 0)
}

@Suite(.serialized) struct ConnectFailureTests {
    /// Found when tried as a new user would: an unreachable endpoint showed
    /// only "connecting". Each kind of failure is named, against real sockets.
    @Test func anUnreachableEndpointSaysWhy() async throws {
        // A port nobody listens on: take one from a server, then stop it.
        let gone = try await SimulatorServer.start(simulation: simConfig(), options: serverOptions(), logger: quiet())
        let closedPort = gone.port
        await gone.stop()
        let plain = try await SimulatorServer.start(simulation: simConfig(), options: serverOptions(), logger: quiet())
        defer { Task { await plain.stop() } }
        let (hung, hungPort) = try await silentListener()
        defer { hung.close(promise: nil) }
        var policy = fastPolicy()
        // 2 s: a refused connect must not be mistaken for a timeout when the
        // machine is busy (it was, once, at 500 ms).
        policy.connectTimeoutMillis = 2_000
        let cases: [(String, String)] = [
            ("ws://127.0.0.1:\(closedPort)/v1/stream", "connection refused"),
            // Found here: a bare IP with wss:// failed before connecting (an
            // IP may not be TLS's SNI); now it reaches the plain server.
            ("wss://127.0.0.1:\(plain.port)/v1/stream", "handshake timed out (TLS: no answer to the TLS hello"),
            ("ws://127.0.0.1:\(hungPort)/v1/stream", "handshake timed out"),
            ("ws://127.0.0.1:\(plain.port)/not-the-stream", "upgrade refused: HTTP "),
        ]
        for (url, expected) in cases {
            let source = WebSocketSource(endpoints: [EndpointConfig(url: url)], policy: policy, clock: wallClockNow, logger: quiet())
            source.start()
            let reason = try await firstFailure(of: source)
            await source.stop()
            #expect(reason.hasPrefix(expected), "\(url): \(reason)")
        }
    }

    /// A server that stops (SIGTERM: the gateway's graceful shutdown) says
    /// why in its close frame, and the endpoint shows it; a close frame's
    /// text is the server's, so only printable characters are shown.
    @Test func aStoppingServerSaysWhyItClosed() async throws {
        let server = try await SimulatorServer.start(simulation: simConfig(), options: serverOptions(), logger: quiet())
        let source = WebSocketSource(endpoints: [EndpointConfig(url: server.url)], policy: fastPolicy(), clock: wallClockNow, logger: quiet())
        source.start()
        let consumer = Consumer(source: source)
        try await consumer.until("the snapshot") { $0.state.hasSnapshot }
        await server.stop()
        let reason = try await firstFailure(of: source)
        await source.stop()
        #expect(reason == "closed by the server: server shutting down")
        #expect(WebSocketSource.closedByTheServer("\u{1B}[2J node\u{202E} crashed\n") == "closed by the server: [2J node crashed")
        #expect(WebSocketSource.closedByTheServer(String(repeating: "x", count: 500)).count == "closed by the server: ".count + 123)
        #expect(WebSocketSource.closedByTheServer(nil) == "closed by the server")
        #expect(WebSocketSource.closedByTheServer(" \u{7}") == "closed by the server")
    }

    /// Failures that need no network to describe. A name that does not
    /// resolve is not tried here: its lookup would query the resolver off
    /// this machine, and no test sends traffic anywhere but loopback.
    @Test func namesTheFailuresThatNeedNoNetworkToProduce() {
        #expect(ConnectErrors.describe(IOError(errnoCode: ECONNREFUSED, reason: "connect"), host: nil) == "connection refused")
        #expect(ConnectErrors.describe(IOError(errnoCode: EHOSTUNREACH, reason: "connect"), host: nil) == "host unreachable")
        #expect(ConnectErrors.describe(ChannelError.connectTimeout(.seconds(5)), host: nil) == "connect timed out")
        #expect(ConnectErrors.describe(NIOSSLExtraError.failedToValidateHostname, host: "gw").hasPrefix("TLS: the certificate is not for gw"))
    }

    @Test func plainWebSocketsOffLoopbackAreWarnedAbout() {
        #expect(EndpointConfig(url: "ws://127.0.0.1:7400/v1/stream").cleartextWarning == nil)
        #expect(EndpointConfig(url: "ws://localhost:7400/v1/stream").cleartextWarning == nil)
        #expect(EndpointConfig(url: "ws://[::1]:7400/v1/stream").cleartextWarning == nil)
        #expect(EndpointConfig(url: "wss://gw.prod:7400/v1/stream").cleartextWarning == nil)
        let w = EndpointConfig(url: "ws://user:secret@gw.prod:7400/v1/stream", token: "t").cleartextWarning
        #expect(w?.hasPrefix("ws://gw.prod:7400/v1/stream: plain ws://") == true)
        #expect(w?.contains("secret") == false)
    }

    /// Found when tried as a new user would: restarts in a row made each
    /// reconnect slower (up to 30 s blind). With the real policy, the
    /// dashboard is live again within 3 s of the server accepting, every time.
    @Test func restartsInARowAreLiveAgainWithinThreeSecondsEachTime() async throws {
        let core = SimulatorCore(config: simConfig { $0.rate = 20 }, start: t0)
        var server = try await startOnAPortOfItsOwn(core)
        let port = server.port
        let source = WebSocketSource(endpoints: [EndpointConfig(url: server.url)], clock: wallClockNow, logger: quiet())
        source.start()
        let consumer = Consumer(source: source)
        try await consumer.until("the snapshot") { $0.state.hasSnapshot }
        var times: [Duration] = []
        for restart in 1...6 {
            // Healthy for a while (the subscription answered), then gone.
            for _ in 0..<3 {
                await core.advance(byMillis: 500)
                try await Task.sleep(for: .milliseconds(500))
            }
            await server.stop()
            try await consumer.until("restart \(restart): the disconnect") { _ in !source.statuses[0].isLive }
            // Down long enough for several refused attempts.
            try await Task.sleep(for: .milliseconds(1_500))
            await core.advance(byMillis: 1_000)
            let (restarted, took) = try await restartAndTimeUntilLive(core, port: port, source: source, consumer: consumer, restart: restart)
            server = restarted
            times.append(took)
        }
        await source.stop()
        await server.stop()
        for (i, t) in times.enumerated() {
            #expect(t < .seconds(3), "restart \(i + 1): live again after \(t)")
        }
        await assertMatches(await consumer.state, core)
    }

    /// Found by a restarting server (issue 23): killed about a second after
    /// each reconnect and started again at once, 30 times in a row; the
    /// dashboard was live again after p50 16.8 s, max 28.9 s (the backoff
    /// climbed while the server was up). Now: p50 under 5 s, max under 10 s.
    @Test func quickRestartsThirtyInARowAreLiveAgainWithinFiveSecondsMedian() async throws {
        let core = SimulatorCore(config: simConfig { $0.rate = 20 }, start: t0)
        var server = try await startOnAPortOfItsOwn(core)
        let port = server.port
        let source = WebSocketSource(endpoints: [EndpointConfig(url: server.url)], clock: wallClockNow, logger: quiet())
        source.start()
        let consumer = Consumer(source: source)
        try await consumer.until("the snapshot") { $0.state.hasSnapshot }
        var times: [Duration] = []
        var rng = SplitMix64(seed: 23)
        for restart in 1...30 {
            // About a second after the reconnect, killed and started again at once.
            try await Task.sleep(for: .milliseconds(600 + Int64(rng.next() % 600)))
            await server.stop()
            await core.advance(byMillis: 100)
            let (restarted, took) = try await restartAndTimeUntilLive(core, port: port, source: source, consumer: consumer, restart: restart)
            server = restarted
            times.append(took)
        }
        await source.stop()
        await server.stop()
        let sorted = times.sorted()
        #expect(sorted[sorted.count / 2] < .seconds(5), "p50 \(sorted[sorted.count / 2]); all \(times)")
        #expect(sorted.last ?? .zero < .seconds(10), "max \(sorted.last ?? .zero); all \(times)")
        await assertMatches(await consumer.state, core)
    }

    /// The server started again on its port; how long until the source is
    /// live on it with every event the core has.
    func restartAndTimeUntilLive(
        _ core: SimulatorCore, port: Int, source: WebSocketSource, consumer: Consumer, restart: Int
    ) async throws -> (SimulatorServer, Duration) {
        let server = try await restartServer(core, port: port)
        let accepting = ContinuousClock.now
        let seqs = await core.seqs
        try await consumer.until("restart \(restart): live again", timeout: .seconds(40)) { feed in
            source.statuses[0].isLive && feed.state.seqs == seqs
        }
        return (server, ContinuousClock.now - accepting)
    }
}
