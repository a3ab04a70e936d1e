import AsyncHTTPClient
import ClusterProtocol
import EngineHTTP
import EventSources
import Logging
import NIOCore
import Synchronization

/// Where a Patroni cluster is and how to reach it.
public struct PatroniSourceConfig: Sendable {
    /// Members' REST APIs (`http://127.0.0.1:8008`); any one will do, the
    /// others are found from `/cluster`.
    public var urls: [String]
    /// etcd's HTTP gateway (`http://127.0.0.1:2379`), for the push feed.
    public var etcd: [String]
    public var auth: PatroniAuth?
    public var pollInterval: TimeAmount = .seconds(1)
    public var requestTimeout: TimeAmount = .seconds(2)
    /// The switchover call blocks until the promotion is done (2–3 s).
    public var commandTimeout: TimeAmount = .seconds(60)
    /// Patroni's DCS namespace (`namespace:` in its config).
    public var namespace = "/service/"
    /// A read-only source never sends a command.
    public var readOnly = false

    public init(urls: [String], etcd: [String] = [], auth: PatroniAuth? = nil, readOnly: Bool = false) {
        self.urls = urls.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        self.etcd = etcd.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        self.auth = auth
        self.readOnly = readOnly
    }
}

/// The Patroni connector as a source: polls `/cluster` (every second by
/// default) and each member's `/patroni`, reads `/config` and `/history`,
/// watches Patroni's keys in etcd so a change of leader is polled for at
/// once, and diffs each observation into protocol-v1 envelopes
/// (`PatroniMapper` then `PollDiffer`). `promote` becomes `POST /switchover`
/// while a healthy leader exists, `POST /failover` when none does; Patroni's
/// own answer is the `command.result`.
public final class PatroniSource: EventSource, CommandSink {
    public let queue: EnvelopeQueue
    public let config: PatroniSourceConfig
    public var provides: SourceCapabilities { config.readOnly ? [.roles, .lag] : [.roles, .lag, .promote] }
    let clock: @Sendable () -> Timestamp
    let logger: Logger
    let client: HTTPClient
    let watchClient: HTTPClient
    let rest: PatroniREST
    let shared = Mutex(Shared())
    let driver = PollDriver()
    public var pollDriver: PollDriver? { driver }

    struct Shared {
        var endpoints = EndpointBook(count: 0)
        var differ: PollDiffer?
        var mapper: PatroniMapper?
        var scope: String?
        var version: String?
        var config: PatroniParse.Config?
        var history: FailoverHistory?
        var polls = 0
        var lastTerm: Int64 = -1
        var watchLive = false
        /// The cause of the next change of leader, and until when it holds.
        var causeHint: (text: String, until: Timestamp)?
        /// REST bases found in `/cluster`, tried after the configured ones.
        var discovered: [String] = []
    }

    public init(config: PatroniSourceConfig, queueCapacity: Int = 100_000, clock: @escaping @Sendable () -> Timestamp, logger: Logger) {
        self.config = config
        self.queue = EnvelopeQueue(capacity: queueCapacity)
        self.clock = clock
        self.logger = logger
        let timeout = HTTPClient.Configuration.Timeout(connect: .seconds(1), read: config.commandTimeout)
        client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: .init(timeout: timeout))
        watchClient = HTTPClient(
            eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: .init(timeout: .init(connect: .seconds(1), read: nil)))
        rest = PatroniREST(client: client, auth: config.auth)
        let count = config.urls.count + config.etcd.count
        shared.withLock { $0.endpoints = EndpointBook(count: count) }
    }

    public var statuses: [EndpointStatus] { shared.withLock { $0.endpoints.statuses } }
    public var stats: [EndpointStats] { shared.withLock { $0.endpoints.stats } }
    public var endpointNames: [String] {
        config.urls.map { "patroni \(Self.display($0))" } + config.etcd.map { "etcd \(Self.display($0))" }
    }
    /// REST requests sent to Patroni's members so far (its load on the cluster).
    public var restRequests: Int { rest.http.calls }
    /// `etcd watch` while the watch runs, else `polling`.
    public var feed: String { shared.withLock { $0.watchLive ? "etcd watch" : "polling" } }

    /// A URL for display: scheme, host, port, path; never credentials (the
    /// one rule every source's endpoint names follow).
    static func display(_ url: String) -> String { EndpointConfig(url: url).displayName }

    public func start() {
        let watches = config.etcd.enumerated().map { i, url in { @Sendable [self] in await self.watchLoop(endpoint: config.urls.count + i, url: url) }
        }
        driver.start(every: .nanoseconds(config.pollInterval.nanoseconds), poll: { [self] in await pollOnce() }, others: watches)
    }

    public func stop() async {
        await driver.stop()
        try? await client.shutdown()
        try? await watchClient.shutdown()
        queue.close()
    }

    public func requestSnapshot(endpoint: Int) {
        shared.withLock { $0.differ?.resync() }
        driver.wake()
    }

    /// Asks for a poll now (a watched key changed, a command finished).
    func wake() { driver.wake() }

    /// Queues envelopes just stamped; called under the `shared` lock that
    /// stamped them, so that a poll's and a command's never overtake each
    /// other on the way to the queue (a reader would see a gap).
    func push(_ envelopes: [Envelope], endpoint: Int) {
        let now = clock()
        for e in envelopes { _ = queue.push(Received(envelope: e, endpoint: endpoint, receivedAt: now)) }
    }

    // MARK: Endpoint status

    func markLive(_ i: Int) {
        let now = clock()
        shared.withLock { $0.endpoints.live(i, at: now) }
    }

    func markFailed(_ i: Int, _ reason: String, garbage: Bool = false, retryInMillis: Int64) {
        let now = clock()
        let first = shared.withLock { $0.endpoints.failed(i, reason, garbage: garbage, retryInMillis: retryInMillis, at: now) }
        if first { logger.warning("\(endpointNames[i]): \(reason)") }
    }
}
