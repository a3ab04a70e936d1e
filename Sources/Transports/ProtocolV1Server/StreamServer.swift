import ClusterProtocol
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
        core: StreamCore<Engine>, options: StreamServerOptions, services extra: [any Service] = [], logger: Logger,
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
        // Registered last, so shut down first: on SIGTERM every subscriber
        // is told the server is going away before the listeners stop.
        services.append(SubscriberFarewell(core: core))
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
        guard let mainPort = bound["main"] else { throw StreamServerError.didNotStart }
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
        core: StreamCore<Engine>, options: StreamServerOptions, node: String?, port: Int, ports: PortCollector, logger: Logger
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
        router.get("/health") { _, _ -> Response in
            if let why = options.unhealthy?() {
                return Response(status: .serviceUnavailable, body: .init(byteBuffer: ByteBuffer(string: "unhealthy: \(why)\n")))
            }
            return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "ok\n")))
        }
        // What the simulator received: the read-only proof counts command frames here.
        router.get("/stats") { _, _ -> String in
            let s = await core.stats
            var b = ObjectBuilder()
            b.put("frames_received", s.framesReceived)
            b.put("commands_received", s.commandsReceived)
            b.put("subscriptions", s.subscriptions)
            b.put("snapshots_sent", s.snapshotsSent)
            b.put("events_broadcast", s.eventsBroadcast)
            for f in options.moreStats?() ?? [] { b.put(f.key, f.value) }
            return JSONWriter.string(b.value) + "\n"
        }
        if let metrics = options.metrics {
            router.get("/metrics") { _, _ -> Response in
                var headers = HTTPFields()
                headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
                let text = await metrics.scrape(core)
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
            }
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

/// Waits for the server's graceful shutdown (a signal, or `stop()`), then
/// ends every subscription: each connection is closed with "server shutting
/// down", and dashboards reconnect (to this server restarted, or another).
struct SubscriberFarewell<Engine: ServedEngine>: Service {
    let core: StreamCore<Engine>

    func run() async throws {
        try? await gracefulShutdown()
        await core.endAll(reason: .shutdown)
    }
}

public enum StreamServerError: Error, CustomStringConvertible {
    case didNotStart

    public var description: String { "the server's listeners did not start" }
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
            if ContinuousClock.now > deadline { throw StreamServerError.didNotStart }
            try await Task.sleep(for: .milliseconds(5))
        }
        return ports
    }
}
