import AsyncHTTPClient
import ClusterProtocol
import EngineHTTP
import EtcdRules
import EventSources
import Logging
import NIOCore
import Synchronization

/// Where an etcd cluster is and how to reach it.
public struct EtcdSourceConfig: Sendable {
    /// Members' client URLs (`http://127.0.0.1:2379`); any one will do, the
    /// others are found from the member list.
    public var urls: [String]
    public var auth: EtcdAuth?
    /// etcd pushes nothing of its members (a watch covers keys only): a
    /// change of leader is on screen within one poll.
    public var pollInterval: Duration = .milliseconds(500)
    public var requestTimeout: TimeAmount = .milliseconds(900)
    /// The leader's `/metrics` (about 160 KB) is read every this many polls:
    /// whether it still reaches each peer.
    public var metricsEvery = 4
    public var commandTimeout: TimeAmount = .seconds(10)
    /// A read-only source never sends a command.
    public var readOnly = false

    public init(urls: [String], auth: EtcdAuth? = nil, readOnly: Bool = false) {
        self.urls = urls.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        self.auth = auth
        self.readOnly = readOnly
    }
}

/// The etcd connector as a source: each poll asks every member for its own
/// status (`maintenance/status`), the member list and the alarms, and now
/// and then the leader's `/metrics`; `EtcdMapper` then `PollDiffer` turn
/// that into protocol-v1 envelopes. `promote` becomes
/// `maintenance/transfer-leadership` sent to the leader (a follower) or
/// `cluster/member/promote` (a learner); etcd's answer is the `command.result`.
public final class EtcdSource: EventSource, CommandSink {
    public let queue: EnvelopeQueue
    public let config: EtcdSourceConfig
    public var provides: SourceCapabilities { config.readOnly ? [.roles, .lag] : [.roles, .lag, .promote] }
    let clock: @Sendable () -> Timestamp
    let logger: Logger
    let client: HTTPClient
    let gateway: EtcdGateway
    let shared = Mutex(Shared())
    let driver = PollDriver()
    public var pollDriver: PollDriver? { driver }

    struct Shared {
        var endpoints = EndpointBook(count: 0)
        var differ: PollDiffer?
        var mapper = EtcdMapper()
        var polls = 0
        /// The last member list and the client URL of each member.
        var members: [EtcdMember] = []
        var clusterName: String?
        /// The cause of the next change of leader, and until when it holds.
        var causeHint: (text: String, until: Timestamp)?
    }

    public init(config: EtcdSourceConfig, queueCapacity: Int = 100_000, clock: @escaping @Sendable () -> Timestamp, logger: Logger) {
        self.config = config
        self.queue = EnvelopeQueue(capacity: queueCapacity)
        self.clock = clock
        self.logger = logger
        client = HTTPClient(
            eventLoopGroup: HTTPClient.defaultEventLoopGroup,
            configuration: .init(timeout: .init(connect: .milliseconds(500), read: config.commandTimeout)))
        gateway = EtcdGateway(client: client, auth: config.auth)
        shared.withLock { $0.endpoints = EndpointBook(count: config.urls.count) }
    }

    public var statuses: [EndpointStatus] { shared.withLock { $0.endpoints.statuses } }
    public var stats: [EndpointStats] { shared.withLock { $0.endpoints.stats } }
    public var endpointNames: [String] { config.urls.map { "etcd \(EndpointConfig(url: $0).displayName)" } }
    /// Calls sent to the members so far (this source's load on the cluster).
    public var requests: Int { gateway.http.calls }

    public func start() {
        driver.start(every: config.pollInterval, poll: { [self] in await pollOnce() })
    }

    public func stop() async {
        await driver.stop()
        try? await client.shutdown()
        queue.close()
    }

    public func requestSnapshot(endpoint: Int) {
        shared.withLock { $0.differ?.resync() }
        driver.wake()
    }

    /// Queues envelopes just stamped; called under the `shared` lock that
    /// stamped them, so that a poll's and a command's never overtake each other.
    func push(_ envelopes: [Envelope], endpoint: Int) {
        let now = clock()
        for e in envelopes { _ = queue.push(Received(envelope: e, endpoint: endpoint, receivedAt: now)) }
    }

    func markLive(_ i: Int) {
        let now = clock()
        shared.withLock { $0.endpoints.live(i, at: now) }
    }

    func markFailed(_ i: Int, _ reason: String, garbage: Bool = false) {
        let now = clock()
        let retry = Int64(config.pollInterval.components.seconds * 1000 + config.pollInterval.components.attoseconds / 1_000_000_000_000_000)
        let first = shared.withLock { $0.endpoints.failed(i, reason, garbage: garbage, retryInMillis: retry, at: now) }
        if first { logger.warning("\(endpointNames[i]): \(reason)") }
    }
}
