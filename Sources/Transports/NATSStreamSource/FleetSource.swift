import ClusterProtocol
import EventSources
import Foundation
import Logging
import NATSClient
import Synchronization

/// `clusterdash --fleet`: every cluster published on the NATS servers given.
/// It looks for `CLUSTERDASH_*` streams every few seconds and reads each
/// cluster it finds with a `NATSSource` of its own (its own consumer, its own
/// reconnects), so one cluster's trouble stays that cluster's. As an
/// `EventSource` it carries nothing itself: its status is the discovery's.
public final class FleetSource: ClusterDiscovery {
    public let queue = EnvelopeQueue(capacity: 16)
    public let provides: SourceCapabilities = []
    public let servers: [NATSAddress]
    public let credentials: NATSCredentials
    public let readOnly: Bool
    /// Clusters read at most (each is a connection and a consumer).
    public let limit: Int
    private let logger: Logger
    private let shared = Mutex(Shared())
    private let task = Mutex<Task<Void, Never>?>(nil)

    struct Shared {
        var sources: [String: NATSSource] = [:]
        var status: EndpointStatus = .connecting(attempt: 1, lastError: nil)
        var ignored = 0
    }

    public init(servers: [NATSAddress], credentials: NATSCredentials, readOnly: Bool, limit: Int = 256, logger: Logger) {
        self.servers = servers
        self.credentials = credentials
        self.readOnly = readOnly
        self.limit = limit
        self.logger = logger
    }

    /// The clusters found so far, with their sources.
    public var clusters: [String: NATSSource] { shared.withLock { $0.sources } }
    /// Clusters left out because `limit` was reached.
    public var ignored: Int { shared.withLock { $0.ignored } }
    public var clusterSources: [String: any EventSource] { clusters }
    public var discoveryStatus: String {
        let (status, ignored, found) = shared.withLock { ($0.status, $0.ignored, !$0.sources.isEmpty) }
        if ignored > 0 { return "\(ignored) more clusters not shown (at most \(limit))" }
        if !found, case .backingOff(_, _, let why) = status { return "no NATS server answers: \(why)" }
        return "looking for clusters on \(endpointNames.joined()) (clusterdash gateway --publish …)"
    }
    public var statuses: [EndpointStatus] { shared.withLock { [$0.status] } }
    public var endpointNames: [String] { ["nats://\(servers.map { "\($0.host):\($0.port)" }.joined(separator: ","))"] }
    public var stats: [EndpointStats] { [] }
    public func requestSnapshot(endpoint: Int) {}

    public func start() {
        task.withLock { $0 = Task { [self] in await discover() } }
    }

    public func stop() async {
        await task.cancelAndWait()
        for s in clusters.values { await s.stop() }
        queue.close()
    }

    private func discover() async {
        var i = 0
        var attempt = 0
        while !Task.isCancelled {
            let address = servers[i % servers.count]
            i += 1
            attempt += 1
            do {
                let c = try await NATSConnection.connect(address, credentials: credentials, name: "clusterdash fleet", logger: logger)
                defer { c.close() }
                let js = JetStream(c)
                while !Task.isCancelled {
                    let names = try await js.streamNames(subject: ClusterSubjects.anySnapshot).compactMap(ClusterSubjects.cluster(ofStream:))
                    let now = wallClockNow()
                    shared.withLock { $0.status = .live(since: now, lastFrameAt: now) }
                    attempt = 0
                    for name in names where ClusterSubjects(cluster: name) != nil { add(name) }
                    shared.withLock { s in s.ignored = Set(names).subtracting(s.sources.keys).count }
                    try await Task.sleep(for: .seconds(3))
                }
            } catch {
                if Task.isCancelled { return }
                let why = "\(address): \(error)"
                logger.info("fleet: \(why)")
                let wait: Int64 = i % servers.count == 0 ? min(5_000, 500 * Int64(attempt)) : 0
                shared.withLock { $0.status = .backingOff(until: wallClockNow().adding(millis: wait), attempt: attempt, reason: why) }
                if wait > 0 { try? await Task.sleep(for: .milliseconds(wait)) }
            }
        }
    }

    private func add(_ name: String) {
        let made: NATSSource? = shared.withLock { s in
            guard s.sources[name] == nil else { return nil }
            guard s.sources.count < limit else { return nil }
            var config = NATSSourceConfig(servers: servers, cluster: name)
            config.credentials = credentials
            config.readOnly = readOnly
            let source = NATSSource(config: config, clock: wallClockNow, logger: logger)
            s.sources[name] = source
            return source
        }
        made?.start()
    }
}
