import ArgumentParser
import ClusterProtocol
import EventSources
import Foundation
import Logging
import PatroniSource
import RedisSource
import SimServer

/// `clusterdash gateway`: one connector, served as protocol v1 to every
/// dashboard (the wall, each operator, `tail`), so the engine is polled once.
struct GatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "Watch a real engine once and serve it as protocol v1 over WebSocket to any number of dashboards (docs/ENGINES.md).",
        discussion: """
            Serves /v1/stream (subscribe, resume, snapshots, commands), /health and /stats on --listen, exactly as \
            `clusterdash sim` does. Prints the URL it serves and runs until SIGINT or SIGTERM.
            """
    )

    @Option(help: "Address to listen on, HOST:PORT (port 0 picks a free one).")
    var listen = "127.0.0.1:7480"

    @OptionGroup var engine: PatroniOptions

    @OptionGroup var redis: RedisOptions

    @OptionGroup var flags: ServerFlags

    @OptionGroup var publish: PublishOptions

    @Flag(name: .customLong("read-only"), help: "Never send a command to the engine: every command is refused.")
    var readOnly = false

    func validate() throws {
        _ = try flags.options(listen: listen)
        _ = try publish.config(fallbackCluster: nil, readOnly: readOnly)
        let given = [try engine.urls() != nil, try redis.seeds() != nil, try redis.sentinelConfig(readOnly: false) != nil].filter { $0 }.count
        guard given == 1 else {
            throw ValidationError(
                given > 1
                    ? "give one engine: --patroni, --redis-cluster or --sentinel"
                    : "give the engine to serve: --patroni URL, --redis-cluster HOST:PORT or --sentinel HOST:PORT --master NAME (repeatable)")
        }
    }

    func run() async throws {
        let options = try flags.options(listen: listen)
        let logger = flags.logger("clusterdash.gateway")
        let made: SourceFactory.Made
        let what: String
        if let sentinel = try redis.sentinelConfig(readOnly: readOnly) {
            made = try SourceFactory.make(sentinel: sentinel, record: nil, logger: logger)
            what = "Redis Sentinel (\(sentinel.master))"
        } else if let seeds = try redis.seeds() {
            made = try SourceFactory.make(redis: try redis.config(seeds: seeds, readOnly: readOnly), record: nil, logger: logger)
            what = "Redis Cluster"
        } else {
            var config = PatroniSourceConfig(urls: engine.patroni, etcd: engine.etcd, readOnly: readOnly)
            if let variable = engine.patroniAuthEnv { config.auth = try PatroniOptions.auth(from: variable) }
            made = try SourceFactory.make(patroni: config, record: nil, logger: logger)
            what = "Patroni"
        }
        for w in made.warnings { logger.warning("\(w)") }
        let core = StreamCore(engine: RelayEngine(sink: made.commands, clock: wallClockNow))
        let published = try publish.services(core: core, fallbackCluster: nil, readOnly: readOnly, logger: logger)
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
