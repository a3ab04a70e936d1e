/// The fleet of a config file: the clusters named there, each read by the
/// source of its own engine (made by the caller through the engine's
/// connector), and, where NATS servers were given too, every cluster found
/// on them (`also`); a name of the config's wins over one found. A cluster
/// whose source could not be made is listed with why (`UnconnectedSource`).
/// As an `EventSource` it carries nothing itself.
public final class ClusterList: ClusterDiscovery {
    public let queue = EnvelopeQueue(capacity: 16)
    public let provides: SourceCapabilities = []
    /// The config's clusters, by name.
    public let named: [String: any EventSource]
    /// A discovery beside them (the NATS fleet), if any.
    public let also: (any ClusterDiscovery)?

    public init(named: [String: any EventSource], also: (any ClusterDiscovery)? = nil) {
        self.named = named
        self.also = also
    }

    public var clusterSources: [String: any EventSource] {
        named.merging(also?.clusterSources ?? [:]) { ours, _ in ours }
    }

    public var discoveryStatus: String {
        if let also { return "\(named.count) configured; \(also.discoveryStatus)" }
        return named.isEmpty ? "no cluster in the config file" : "\(named.count) configured"
    }

    public var statuses: [EndpointStatus] { also?.statuses ?? [] }
    public var endpointNames: [String] { also?.endpointNames ?? [] }
    public var stats: [EndpointStats] { [] }
    public func requestSnapshot(endpoint: Int) {}

    public func start() {
        for s in named.values { s.start() }
        also?.start()
    }

    public func stop() async {
        for s in named.values { await s.stop() }
        await also?.stop()
        queue.close()
    }
}

/// A cluster of the config whose source could not be made (a credentials
/// variable not set, a CA file that cannot be read): listed in the fleet
/// with why, never dropped, never retried (the config must change).
public final class UnconnectedSource: EventSource {
    public let queue = EnvelopeQueue(capacity: 1)
    public let provides: SourceCapabilities = []
    public let reason: String
    public let endpointNames: [String]

    public init(what: String, reason: String) {
        self.reason = reason
        endpointNames = [what]
    }

    public var statuses: [EndpointStatus] { [.failed(reason: reason)] }
    public var stats: [EndpointStats] { [EndpointStats()] }
    public func start() {}
    public func stop() async { queue.close() }
    public func requestSnapshot(endpoint: Int) {}
}
