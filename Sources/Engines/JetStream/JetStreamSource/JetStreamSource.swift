import ClusterProtocol
import EngineKit
import EventSources
import JetStreamRules
import Logging
import NATSClient
import Synchronization

/// Where a NATS JetStream cluster is and how to reach it.
public struct JetStreamSourceConfig: Sendable {
    /// Servers to connect to (any one will do: the system account sees them all).
    public var servers: [NATSAddress]
    /// System-account credentials; without them only one account's streams are seen.
    public var credentials: NATSCredentials
    /// The rest of JSZ is polled; leader elections, lost quorums and
    /// shutdowns are pushed and bring the next poll at once.
    public var pollInterval: Duration = .milliseconds(500)
    /// How long the replies of all servers to one `PING` are awaited at
    /// most (they come within 2 ms here; a dead server's never come, and
    /// then each poll waits this long). Once the cluster's size is known a
    /// poll ends as soon as every server answered.
    public var gatherWindow: Duration = .milliseconds(500)
    public var requestTimeout: Duration = .milliseconds(900)
    public var commandTimeout: Duration = .seconds(5)
    /// Credentials of the streams' account: JetStream's API answers per
    /// account, so `step_down` and `migrate` on a stream need them when
    /// `credentials` are the system account's (nil: stream commands are
    /// refused, saying so).
    public var streamCredentials: NATSCredentials?
    /// A stream move not done by then is reported failed (nats-server goes on).
    public var moveTimeout: Duration = .seconds(120)
    /// A read-only source never sends a command.
    public var readOnly = false

    public init(servers: [NATSAddress], credentials: NATSCredentials = NATSCredentials(), readOnly: Bool = false) {
        self.servers = servers
        self.credentials = credentials
        self.readOnly = readOnly
    }
}

/// The NATS JetStream connector as a source: one connection (as the system
/// account), every server's JSZ and health gathered from one `PING` each
/// poll, the advisories that say a leader changed bringing a poll at once;
/// `JetStreamMapper` then `PollDiffer` turn that into protocol-v1 envelopes.
/// `promote` becomes the meta leader's step-down; nats-server's answer is
/// the `command.result`.
public final class JetStreamSource: EventSource, CommandSink {
    public let queue: EnvelopeQueue
    public let config: JetStreamSourceConfig
    public var provides: SourceCapabilities {
        config.readOnly ? [.roles, .lag, .assignments] : [.roles, .lag, .assignments, .migrations, .promote, .stepDown, .migrate]
    }
    let clock: @Sendable () -> Timestamp
    let logger: Logger
    let shared = Mutex(Shared())
    let driver = PollDriver()
    public var pollDriver: PollDriver? { driver }
    let calls = Atomic<Int>(0)

    struct Shared {
        var endpoints = EndpointBook(count: 0)
        var connection: NATSConnection?
        /// The streams' account's, for stream commands from a system-account view.
        var streamConnection: NATSConnection?
        /// The last poll had system-account rights.
        var systemView = true
        /// Stream moves started here and under way, by migration id.
        var moves: [String: StreamMove] = [:]
        var connectedTo = 0
        /// The cluster's other servers, as a server's INFO named them (at most 64).
        var learned: [NATSAddress] = []
        /// Connected to one of those, not to a server given.
        var onLearned = false
        var differ: PollDiffer?
        var mapper = JetStreamMapper()
        var clusterName: String?
        /// Servers known from the last poll: the replies to wait for.
        var serversKnown = 0
        var causeHint: (text: String, until: Timestamp)?
        /// The last JSZ reply that could not be read (warned about once).
        var lastGarbage: String?
        /// Pushed messages seen (advisories and shutdowns), for the tests and `/stats`.
        var advisories = 0
    }

    public init(config: JetStreamSourceConfig, queueCapacity: Int = 100_000, clock: @escaping @Sendable () -> Timestamp, logger: Logger) {
        self.config = config
        self.queue = EnvelopeQueue(capacity: queueCapacity)
        self.clock = clock
        self.logger = logger
        shared.withLock { $0.endpoints = EndpointBook(count: config.servers.count) }
    }

    public var statuses: [EndpointStatus] { shared.withLock { $0.endpoints.statuses } }
    public var stats: [EndpointStats] { shared.withLock { $0.endpoints.stats } }
    public var endpointNames: [String] { config.servers.map { "nats \($0.host):\($0.port)" } }
    /// Requests sent to the servers so far (this source's load on the cluster).
    public var requests: Int { calls.load(ordering: .relaxed) }
    /// Pushed messages acted on so far.
    public var advisoriesSeen: Int { shared.withLock { $0.advisories } }

    public func start() {
        driver.start(every: config.pollInterval, poll: { [self] in await pollOnce() }, others: [{ [self] in await listen() }])
    }

    public func stop() async {
        await driver.stop()
        shared.withLock { s in
            s.connection?.close()
            s.connection = nil
            s.streamConnection?.close()
            s.streamConnection = nil
        }
        queue.close()
    }

    public func requestSnapshot(endpoint: Int) {
        shared.withLock { $0.differ?.resync() }
        driver.wake()
    }

    /// The open connection, or a new one to the first server that takes
    /// it: those given first, then the others their INFO named (one server
    /// given will do, and its death leaves the others); nil when none does
    /// (each given server's failure is on its endpoint's status).
    func connection() async -> NATSConnection? {
        if let c = shared.withLock({ $0.connection }), c.closedReason == nil { return c }
        let (start, learned) = shared.withLock { ($0.connectedTo, $0.learned) }
        let given = config.servers.count
        let order = (0..<given).map { (start + $0) % given } + Array(given..<(given + learned.count))
        for i in order {
            let address = i < given ? config.servers[i] : learned[i - given]
            do {
                let c = try await NATSConnection.connect(
                    address, credentials: config.credentials, name: "clusterdash nats engine", timeout: .seconds(2),
                    subscriptionBuffer: 10_000, logger: logger)
                let named = JetStreamParse.connectURLs(Array((c.serverInfo ?? "").utf8)).compactMap { HostPort($0) }
                shared.withLock { s in
                    s.connection?.close()
                    s.connection = c
                    s.connectedTo = i < given ? i : 0
                    s.onLearned = i >= given
                    for h in named {
                        let a = NATSAddress(host: h.host, port: h.port)
                        if !config.servers.contains(a), !s.learned.contains(a), s.learned.count < 64 { s.learned.append(a) }
                    }
                }
                if i < given { markLive(i) }
                return c
            } catch {
                if i < given { markFailed(i, "\(error)") }
            }
        }
        return nil
    }

    /// The pushed side: leader elections, lost quorums and shutdowns, each
    /// bringing a poll at once. Runs until stopped, on whatever connection
    /// is open.
    func listen() async {
        while !Task.isCancelled {
            guard let c = await connection() else {
                try? await Task.sleep(for: config.pollInterval)
                continue
            }
            let subs = [
                c.subscribe("$JS.EVENT.ADVISORY.STREAM.LEADER_ELECTED.>"), c.subscribe("$JS.EVENT.ADVISORY.STREAM.QUORUM_LOST.>"),
                c.subscribe("$SYS.SERVER.*.SHUTDOWN"),
            ]
            await withTaskGroup(of: Void.self) { group in
                for sub in subs {
                    group.addTask { [self] in
                        for await m in sub.messages {
                            guard let advisory = JetStreamParse.advisory(subject: m.subject, m.payload) else { continue }
                            heard(advisory)
                        }
                    }
                }
            }
            // The connection ended: the poll opens the next one.
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    /// An advisory: in the failover log at once, in nats-server's words
    /// (an `engine.notice`), and a poll at once for the figures.
    func heard(_ advisory: JetStreamAdvisory) {
        let now = clock()
        let notice: EngineNotice
        switch advisory {
        case .leaderElected(let account, let stream, let leader):
            notice = EngineNotice(
                from: "nats", node: leader, kind: "stream_leader_elected", text: "\(Self.named(account, stream)) elected \(leader) its leader")
        case .quorumLost(let account, let stream):
            notice = EngineNotice(from: "nats", node: nil, kind: "stream_quorum_lost", text: "\(Self.named(account, stream)) lost its quorum")
        case .serverShutdown(let server):
            notice = EngineNotice(from: "nats", node: server, kind: "server_shutdown", text: "\(server) shut down")
        }
        shared.withLock { s in
            s.advisories += 1
            switch advisory {
            case .quorumLost(_, let stream): s.mapper.quorumLost(stream: stream)
            case .serverShutdown(let server): s.causeHint = ("\(server) shut down", now.adding(millis: 15_000))
            case .leaderElected: break
            }
            // Before the first snapshot there is nothing to note it against.
            if var differ = s.differ, differ.lastPoll != nil {
                push([differ.stamp(.engineNotice(notice), at: now)], endpoint: s.connectedTo)
                s.differ = differ
            }
        }
        logger.info("nats: \(notice.text)")
        driver.wake()
    }

    /// `APP > ORDERS` when the account is said, else the stream's name.
    static func named(_ account: String?, _ stream: String) -> String {
        account.map { "\($0) > \(stream)" } ?? stream
    }

    /// Queues envelopes just stamped, under the `shared` lock that stamped them.
    func push(_ envelopes: [Envelope], endpoint: Int) {
        let now = clock()
        for e in envelopes { _ = queue.push(Received(envelope: e, endpoint: endpoint, receivedAt: now)) }
    }

    func markLive(_ i: Int) {
        let now = clock()
        shared.withLock { $0.endpoints.live(i, at: now) }
    }

    func markFailed(_ i: Int, _ reason: String) {
        let now = clock()
        let retry = Int64(config.pollInterval.components.seconds * 1000 + config.pollInterval.components.attoseconds / 1_000_000_000_000_000)
        let first = shared.withLock { $0.endpoints.failed(i, reason, garbage: false, retryInMillis: retry, at: now) }
        if first { logger.warning("\(endpointNames[i]): \(reason)") }
    }
}
