import ArgumentParser
import ClusterProtocol
import ClusterState
import EventSources
import Logging
import NATSClient
import NATSStreamPublisher
import NATSStreamSource
import ProtocolV1Server
import ServiceLifecycle

/// `--publish`: the stream a server serves (`sim`, `gateway`) also goes to
/// NATS JetStream, for dashboards that read it there (docs/PROTOCOL.md,
/// "On NATS JetStream").
struct PublishOptions: ParsableArguments {
    @Option(
        name: .customLong("publish"),
        help: "A NATS server to publish the stream to (nats://HOST:PORT or nats+ws://HOST:PORT); repeat for several (tried in turn).")
    var publish: [String] = []

    @Option(name: .customLong("publish-cluster"), help: "The cluster's name on NATS (letters, digits, - and _).")
    var cluster: String?

    @Option(name: .customLong("publish-replicas"), help: "Replicas of the JetStream stream (at most the NATS servers there are).")
    var replicas = 3

    @Option(name: .customLong("publish-max-age"), help: "How long JetStream keeps events (e.g. 1h, 30m).")
    var maxAge = "1h"

    @Option(name: .customLong("publish-max-mb"), help: "The most the stream holds, in MiB (the oldest go first).")
    var maxMB = 64

    @Option(
        name: .customLong("publish-hold"),
        help:
            "Events held while JetStream cannot store them (no leader, no quorum), stored in order once it can; past this many they are lost, and readers say so."
    )
    var hold = 100_000

    @Option(
        name: .customLong("publish-linger-ms"),
        help:
            "After a message, what comes within this many ms goes as one stored message (0: each batch the server serves at once). JetStream's cost and a reader's is per message."
    )
    var lingerMs = 10

    @Option(name: .customLong("publish-instance"), help: "This publisher's name in the active/standby lease (default: host-pid).")
    var instance: String?

    /// The publisher's config; nil without `--publish`. `fallbackCluster`
    /// names the cluster when `--publish-cluster` does not.
    func config(fallbackCluster: String?, readOnly: Bool) throws -> NATSPublishConfig? {
        guard !publish.isEmpty else {
            if cluster != nil { throw ValidationError("--publish-cluster needs --publish nats://HOST:PORT") }
            return nil
        }
        let servers: [NATSAddress]
        do {
            servers = try publish.map { url throws(NATSError) in try NATSAddress(url: url) }
        } catch {
            throw ValidationError("--publish: \(error.description)")
        }
        guard let name = cluster ?? fallbackCluster else { throw ValidationError("--publish needs --publish-cluster NAME") }
        guard let subjects = ClusterSubjects(cluster: name) else {
            throw ValidationError("--publish-cluster \(name): 1-64 letters, digits, - and _")
        }
        guard (1...5).contains(replicas) else { throw ValidationError("--publish-replicas must be 1...5") }
        guard let age = parseDuration(maxAge), age >= 60_000 else { throw ValidationError("--publish-max-age \(maxAge): a duration of 1m or more") }
        guard maxMB >= 1 else { throw ValidationError("--publish-max-mb must be 1 or more") }
        guard hold >= 1 else { throw ValidationError("--publish-hold must be 1 or more") }
        guard (0...1_000).contains(lingerMs) else { throw ValidationError("--publish-linger-ms must be 0...1000") }
        var c = NATSPublishConfig(servers: servers, subjects: subjects)
        c.credentials = NATSCredentials.fromEnvironment()
        c.replicas = replicas
        c.maxAge = .milliseconds(age)
        c.maxBytes = Int64(maxMB) << 20
        c.readOnly = readOnly
        c.holdLimit = hold
        c.linger = .milliseconds(lingerMs)
        if let instance { c.instance = instance }
        return c
    }

    /// The service that publishes `core`, if `--publish` was given.
    func services<Engine: ServedEngine>(core: StreamCore<Engine>, fallbackCluster: String?, readOnly: Bool, logger: Logger) throws
        -> PublishedServices
    {
        guard let c = try config(fallbackCluster: fallbackCluster, readOnly: readOnly) else { return PublishedServices() }
        let p = NATSPublisher(core: core, config: c, logger: logger)
        return PublishedServices(
            services: [NATSPublisherService(p)],
            summary:
                "  publishing to NATS JetStream as \(c.subjects.cluster) (stream \(c.subjects.stream)) via \(c.servers.map(\.description).joined(separator: ", "))",
            stats: { p.stats })
    }
}

/// What `--publish` adds to a server: its service, its banner line and
/// its state (none without `--publish`).
struct PublishedServices {
    var services: [any Service] = []
    var summary: String?
    var stats: (@Sendable () -> NATSPublisherStats)?

    /// `/stats`' `nats_publisher`.
    var moreStats: (@Sendable () -> [JSONField])? {
        guard let stats else { return nil }
        return { [JSONField("nats_publisher", stats().json)] }
    }

    /// The publisher's lines of `/metrics`.
    var metricSamples: @Sendable () -> [MetricSample] {
        let s = stats
        return { s?().metricSamples ?? [] }
    }
}
