import ClusterProtocol
import ClusterSim
import EventSources
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle
import UnixSignals

/// How the simulator listens and who it lets in.
public struct SimServerOptions: Sendable {
    public var host = "127.0.0.1"
    /// 0 picks a free port.
    public var port = 7400
    /// Bearer tokens. When either is set, an upgrade without a valid one gets 401.
    public var readToken: String?
    public var operateToken: String?
    /// One more listener per node, streaming that node's own events.
    public var perNodePorts = false
    /// First per-node port (node-1 gets it, node-2 the next...); 0 picks free ports.
    public var nodePortBase = 0
    /// Drive simulated time from the wall clock (off in tests that step time).
    public var realtime = true
    public var tickMillis: Int64 = 100
    /// Stream lag samples as fast as the socket takes (benchmarks).
    public var flood = false
    /// Stop each connection's flood after this long (nil: never); it still
    /// answers snapshot requests, so a client can end in its exact state.
    public var floodDuration: Duration?
    /// Told, per connection, where its flood ended (its truth to compare with).
    public var floodEnded: (@Sendable (FloodOutcome) -> Void)?
    /// Largest client frame accepted.
    public var maxClientFrameBytes = 1 << 20
    /// Serve TLS (`wss://`, `https://`) with this certificate and key, on
    /// every listener (`ServerTLS.configuration` reads them from PEM files).
    public var tls: TLSConfiguration?

    public init() {}

    /// Whether any token is configured.
    public var requiresToken: Bool { readToken != nil || operateToken != nil }

    /// The scope a request's `Authorization` header grants, nil when it grants none.
    func scope(for authorization: String?) -> TokenScope? {
        guard requiresToken else { return .operate }
        guard let authorization, authorization.hasPrefix("Bearer ") else { return nil }
        let token = String(authorization.dropFirst("Bearer ".count))
        if let operateToken, token == operateToken { return .operate }
        if let readToken, token == readToken { return .read }
        return nil
    }
}

/// A protocol-v1 server: Hummingbird listeners on `/v1/stream` and the
/// shared `StreamCore`. Behind it the simulator (`SimulatorServer`, with a
/// driver that moves simulated time with the wall clock; in-process for
/// tests and the demo, or `clusterdash sim`) or a connector relayed by
/// `clusterdash gateway` (`RelayEngine`).
public final class StreamServer<Engine: ServedEngine>: Sendable {
    public let core: StreamCore<Engine>
    /// `ws://host:port/v1/stream` (`wss://` with TLS) of the main (gateway) listener.
    public let url: String
    public let port: Int
    /// Per-node listeners, when enabled.
    public let nodeURLs: [String: String]
    private let group: ServiceGroup
    private let runner: Task<Void, any Error>

    private init(core: StreamCore<Engine>, url: String, port: Int, nodeURLs: [String: String], group: ServiceGroup, runner: Task<Void, any Error>) {
        self.core = core
        self.url = url
        self.port = port
        self.nodeURLs = nodeURLs
        self.group = group
        self.runner = runner
    }

    /// Starts listeners for `core`, with `services` run beside them (the
    /// simulator's clock, a connector's pump), and returns once every
    /// listener has its port.
    public static func serve(
        core: StreamCore<Engine>, options: SimServerOptions, services extra: [any Service] = [], logger: Logger,
        signals: [UnixSignal] = []
    ) async throws -> StreamServer {
        await core.reopen()
        let ports = PortCollector()
        var services: [any Service] = []
        let main = try makeApplication(core: core, options: options, node: nil, port: options.port, ports: ports, logger: logger)
        services.append(main)
        let nodeIDs = await core.nodeIDs
        if options.perNodePorts {
            for (i, node) in nodeIDs.enumerated() {
                let port = options.nodePortBase == 0 ? 0 : options.nodePortBase + i
                services.append(try makeApplication(core: core, options: options, node: node, port: port, ports: ports, logger: logger))
            }
        }
        services += extra
        let group = ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: signals, logger: logger))
        let runner = Task {
            do {
                try await group.run()
            } catch {
                // A listener that could not bind ends the group: say why at once.
                await ports.fail(error)
                throw error
            }
        }
        let expected = 1 + (options.perNodePorts ? nodeIDs.count : 0)
        let bound = try await ports.wait(for: expected, runner: runner)
        guard let mainPort = bound["main"] else { throw SimServerError.didNotStart }
        let scheme = options.tls == nil ? "ws" : "wss"
        var nodeURLs: [String: String] = [:]
        for node in nodeIDs {
            if let p = bound[node] { nodeURLs[node] = "\(scheme)://\(options.host):\(p)/v1/stream" }
        }
        return StreamServer(
            core: core, url: "\(scheme)://\(options.host):\(mainPort)/v1/stream", port: mainPort, nodeURLs: nodeURLs, group: group,
            runner: runner)
    }

    /// Stops every listener and closes every connection.
    public func stop() async {
        await core.endAll(reason: .shutdown)
        await group.triggerGracefulShutdown()
        _ = try? await runner.value
    }

    /// Waits until the server stops (a signal, or `stop()`).
    public func wait() async throws {
        try await runner.value
    }

    // MARK: Building the listeners

    static func makeApplication(
        core: StreamCore<Engine>, options: SimServerOptions, node: String?, port: Int, ports: PortCollector, logger: Logger
    ) throws -> some Service {
        let router = Router()
        // Requests that were not upgraded land here: say why.
        router.get("/v1/stream") { request, _ -> Response in
            if options.scope(for: request.headers[.authorization]) == nil {
                var headers = HTTPFields()
                headers[.wwwAuthenticate] = "Bearer"
                return Response(status: .unauthorized, headers: headers, body: .init(byteBuffer: ByteBuffer(string: "unauthorized\n")))
            }
            if let node, !(await core.isAlive(node)) {
                return Response(status: .serviceUnavailable, body: .init(byteBuffer: ByteBuffer(string: "\(node) is down\n")))
            }
            return Response(status: .upgradeRequired, body: .init(byteBuffer: ByteBuffer(string: "WebSocket upgrade required\n")))
        }
        router.get("/health") { _, _ -> String in "ok\n" }
        // What the simulator received: the read-only proof counts command frames here.
        router.get("/stats") { _, _ -> String in
            let s = await core.stats
            return
                "{\"frames_received\":\(s.framesReceived),\"commands_received\":\(s.commandsReceived),\"subscriptions\":\(s.subscriptions),\"snapshots_sent\":\(s.snapshotsSent),\"events_broadcast\":\(s.eventsBroadcast)}\n"
        }
        var wsConfig = WebSocketServerConfiguration(maxFrameSize: options.maxClientFrameBytes)
        wsConfig.autoPing = .enabled(timePeriod: .seconds(10))
        let name = node ?? "main"
        var appLogger = logger
        appLogger[metadataKey: "listener"] = "\(name)"
        let decide: GateDecision = { path, authorization in
            guard path == "/v1/stream" else { return nil }
            if options.scope(for: authorization) == nil { return (401, "unauthorized: a valid bearer token is required") }
            if let node, core.downNodes.contains(node) { return (503, "\(node) is down") }
            return nil
        }
        let upgrade = HTTP1WebSocketUpgradeChannel.Configuration(ws: wsConfig)
        let plain = HTTPServerBuilder { responder in
            GatedChildChannel(
                base: HTTP1WebSocketUpgradeChannel(responder: responder, configuration: upgrade) { request, channel, _ in
                    guard request.path?.split(separator: "?").first == "/v1/stream" else { return .dontUpgrade }
                    guard let scope = options.scope(for: request.headerFields[.authorization]) else { return .dontUpgrade }
                    if let node, core.downNodes.contains(node) { return .dontUpgrade }
                    return .upgrade([:]) { inbound, outbound, context in
                        let session = Session(
                            core: core, scope: scope, node: node, options: options, channel: channel, logger: context.logger)
                        try await session.run(inbound: inbound, outbound: outbound)
                    }
                },
                decide: decide)
        }
        let server = try options.tls.map { try HTTPServerBuilder.tls(plain, tlsConfiguration: $0) } ?? plain
        return Application(
            router: router,
            server: server,
            configuration: .init(address: .hostname(options.host, port: port), serverName: "clusterdash"),
            onServerRunning: { channel in
                await ports.record(name, channel.localAddress?.port ?? 0)
            },
            logger: appLogger
        )
    }
}

public enum SimServerError: Error, CustomStringConvertible {
    case didNotStart

    public var description: String { "the simulator's listeners did not start" }
}

/// Collects the ports listeners bound to.
actor PortCollector {
    private var ports: [String: Int] = [:]

    func record(_ name: String, _ port: Int) {
        ports[name] = port
    }

    private var failure: (any Error)?

    func fail(_ error: any Error) {
        failure = error
    }

    func wait(for count: Int, runner: Task<Void, any Error>) async throws -> [String: Int] {
        let deadline = ContinuousClock.now.advanced(by: .seconds(15))
        while ports.count < count {
            if let failure { throw failure }
            if ContinuousClock.now > deadline { throw SimServerError.didNotStart }
            try await Task.sleep(for: .milliseconds(5))
        }
        return ports
    }
}

/// The simulator served.
public typealias SimulatorServer = StreamServer<SimCluster>

extension StreamServer where Engine == SimCluster {
    /// Starts listening and returns once every listener has its port.
    public static func start(
        simulation: SimConfig, options: SimServerOptions, start: Timestamp = wallClockNow(),
        scheduled: [(Fault, Timestamp)] = [], logger: Logger, signals: [UnixSignal] = []
    ) async throws -> SimulatorServer {
        let core = SimulatorCore(config: simulation, start: start)
        for (fault, at) in scheduled { await core.schedule(fault, at: at) }
        return try await Self.start(core: core, options: options, logger: logger, signals: signals)
    }

    /// Starts listeners for an existing core: a restarted endpoint keeps the
    /// cluster (and its replay history) it had.
    public static func start(
        core: SimulatorCore, options: SimServerOptions, logger: Logger, signals: [UnixSignal] = [], services extra: [any Service] = []
    ) async throws -> SimulatorServer {
        let driver: [any Service] = options.realtime ? [Driver(core: core, tickMillis: options.tickMillis)] : []
        return try await serve(core: core, options: options, services: driver + extra, logger: logger, signals: signals)
    }
}

/// Moves simulated time with the wall clock.
struct Driver: Service {
    let core: SimulatorCore
    let tickMillis: Int64

    /// Ticks until graceful shutdown; ending by cancellation is the normal
    /// way out, not an error (an error would cancel the whole group).
    func run() async throws {
        await withGracefulShutdownHandler {
            while !Task.isCancelled, !Task.isShuttingDownGracefully {
                do {
                    try await Task.sleep(for: .milliseconds(tickMillis))
                } catch {
                    return
                }
                await core.advance(to: wallClockNow())
            }
        } onGracefulShutdown: {
        }
    }
}
