import ArgumentParser
import ClusterProtocol
import EngineKit
import EventSources
import Foundation
import Logging
import ProtocolV1Server

/// `clusterdash gateway`: one connector, served as protocol v1 to every
/// dashboard (the wall, each operator, `tail`), so the engine is polled once.
struct GatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "Watch a real engine once and serve it as protocol v1 over WebSocket to any number of dashboards (docs/ENGINES.md).",
        discussion: """
            Serves /v1/stream (subscribe, resume, snapshots, commands), /health and /stats on --listen, exactly as \
            `clusterdash sim` does, and Prometheus metrics on /metrics. Prints the URL it serves and runs until SIGINT or \
            SIGTERM.
            """
    )

    @Option(help: "Address to listen on, HOST:PORT (port 0 picks a free one).")
    var listen = "127.0.0.1:7480"

    @OptionGroup var engines: EngineFlagGroups

    @OptionGroup var flags: ServerFlags

    @OptionGroup var publish: PublishOptions

    @Flag(name: .customLong("read-only"), help: "Never send a command to the engine: every command is refused.")
    var readOnly = false

    func validate() throws {
        _ = try flags.options(listen: listen)
        _ = try publish.config(fallbackCluster: nil, readOnly: readOnly)
        _ = try engineSettings()
    }

    /// The one engine the flags name (the gateway relays an engine, not a stream).
    func engineSettings() throws -> any EngineSettings {
        let named = engines.all.flatMap(\.named)
        guard named.count == 1 else {
            let usage = engines.all.flatMap(\.usage)
            throw ValidationError(
                named.count > 1
                    ? "give one engine: \(EngineFlagGroups.either(usage.map { String($0.prefix { $0 != " " }) }))"
                    : "give the engine to serve: \(EngineFlagGroups.either(usage)) (repeatable)")
        }
        guard var settings = try EngineFlagGroups.settings(from: engines.all) else {
            throw ValidationError("give the engine to serve: \(EngineFlagGroups.either(engines.all.flatMap(\.usage)))")
        }
        settings.readOnly = readOnly
        return settings
    }

    func run() async throws {
        var options = try flags.options(listen: listen)
        let logger = flags.logger("clusterdash.gateway")
        let made = try connect(try engineSettings(), record: nil, logger: logger)
        let what = made.what
        for w in made.warnings { logger.warning("\(w)") }
        let core = StreamCore(engine: RelayEngine(sink: made.commands, clock: wallClockNow))
        let published = try publish.services(core: core, fallbackCluster: nil, readOnly: readOnly, logger: logger)
        options.moreStats = published.moreStats
        options.metrics = ServerMetrics(source: made.source, more: published.metricSamples)
        // Unhealthy while the engine's source reaches none of its endpoints, saying why.
        let source = made.source
        options.unhealthy = {
            let endpoints = zip(source.endpointNames, source.statuses)
            guard !endpoints.contains(where: { $0.1.isLive }) else { return nil }
            return endpoints.map { name, status in
                switch status {
                case .failed(let why), .backingOff(_, _, let why): "\(name) \(status.label): \(why)"
                default: "\(name) \(status.label)"
                }
            }.joined(separator: "; ")
        }
        let server = try await StreamServer.serve(
            core: core, options: options, services: [RelayPump(source: made.source, core: core)] + published.services, logger: logger,
            signals: [.sigint, .sigterm])
        print("clusterdash gateway: serving \(server.url) for \(what) at \(made.source.endpointNames.joined(separator: ", "))")
        if let summary = published.summary { print(summary) }
        if options.requiresToken { print("  bearer token required") }
        if readOnly { print("  read-only: commands are refused") }
        fflush(nil)
        try await server.wait()
        print("clusterdash gateway: stopped")
    }
}
