import ClusterProtocol
import EngineKit
import EventSources
import Logging
import MySQLRules
import Synchronization

/// A user and password (`user:password`), never shown or logged.
public struct MySQLAuth: Sendable, Hashable, CustomStringConvertible, CustomReflectable {
    public var user: String
    public var password: String

    public init(user: String, password: String) {
        self.user = user
        self.password = password
    }

    public var description: String { "MySQLAuth(redacted)" }
    /// What `dump` and debuggers see: the user, never the password.
    public var customMirror: Mirror { Mirror(self, children: ["user": user]) }
}

/// Where a replication topology is and how to reach it.
public struct MySQLSourceConfig: Sendable {
    /// `host:port` of servers; any one will do, the others are found from
    /// replication (each replica's source, each server's connected replicas).
    public var servers: [String]
    public var auth: MySQLAuth?
    /// The replication user, for pointing servers at a new primary.
    public var replicationAuth: MySQLAuth?
    public var pollInterval: Duration = .milliseconds(500)
    /// How long a poll waits for the servers' answers; a server that takes
    /// longer is "no answer" this poll, and the others are not held up.
    public var answerDeadline: Duration = .milliseconds(900)
    /// Whole seconds (the client library's unit).
    public var connectTimeoutSeconds = 1
    public var readTimeoutSeconds = 2
    /// Servers known at most (configured and found).
    public var maxServers = 64
    public var readOnly = false

    public init(servers: [String], auth: MySQLAuth? = nil, replicationAuth: MySQLAuth? = nil, readOnly: Bool = false) {
        self.servers = servers
        self.auth = auth
        self.replicationAuth = replicationAuth
        self.readOnly = readOnly
    }
}

/// The MySQL/MariaDB connector as a source: every known server is asked
/// three light statements each poll (every 500 ms by default: its
/// variables, its replica status, its connected replicas), in parallel, on
/// a connection of its own kept open between polls; servers named by the
/// answers are added and polled at once; the topology is mapped
/// (`MySQLMapper`) and diffed (`PollDiffer`) into protocol-v1 envelopes.
/// A change of role wakes another poll at once. `promote` runs a
/// switchover or a failover step by step (`MySQLSwitchover`).
public final class MySQLSource: EventSource, CommandSink {
    public let queue: EnvelopeQueue
    public let config: MySQLSourceConfig
    public var provides: SourceCapabilities { config.readOnly ? [.roles, .lag] : [.roles, .lag, .promote] }
    let clock: @Sendable () -> Timestamp
    let logger: Logger
    let pool: MySQLPool
    let shared: Mutex<Shared>
    let driver = PollDriver()
    public var pollDriver: PollDriver? { driver }

    struct Shared {
        var endpoints: EndpointBook
        var differ: PollDiffer
        var mapper: MySQLMapper
        /// Every server known: the configured ones first, then those found.
        var known: [String] = []
        /// The cause of the next change of primary, and until when it holds.
        var causeHint: (text: String, until: Timestamp)?
        /// A switchover of ours under way: from, to.
        var running: (from: String?, to: String)?
        var lastRoles: [String: NodeRole] = [:]
        /// Servers whose statements of an earlier poll still run.
        var inFlight: Set<String> = []
        /// Polls begun, and the latest begun of those ended (a command waits
        /// for a poll begun after it, so its result and the screen agree).
        var pollsBegun = 0
        var pollsEnded = 0
    }

    public init(config: MySQLSourceConfig, queueCapacity: Int = 100_000, clock: @escaping @Sendable () -> Timestamp, logger: Logger) {
        self.config = config
        self.queue = EnvelopeQueue(capacity: queueCapacity)
        self.clock = clock
        self.logger = logger
        pool = MySQLPool(
            auth: config.auth, connectTimeoutSeconds: config.connectTimeoutSeconds, readTimeoutSeconds: config.readTimeoutSeconds)
        let name = Self.clusterName(config)
        shared = Mutex(
            Shared(
                endpoints: EndpointBook(count: max(config.maxServers, config.servers.count)),
                differ: PollDiffer(source: "mysql/\(name)", idPrefix: "mysql-\(clock().millis)-"), mapper: MySQLMapper(name: name),
                known: config.servers))
    }

    /// The cluster's name on the wire: its first configured server
    /// (replication has no name of its own).
    static func clusterName(_ config: MySQLSourceConfig) -> String { config.servers.first ?? "mysql" }

    /// Every server known is an endpoint (the configured ones first, then
    /// those found): the source is live while any of them answers, and a
    /// dead primary given on the command line is one endpoint down, not "Not connected".
    public var statuses: [EndpointStatus] { shared.withLock { Array($0.endpoints.statuses.prefix($0.known.count)) } }
    public var stats: [EndpointStats] { shared.withLock { Array($0.endpoints.stats.prefix($0.known.count)) } }
    public var endpointNames: [String] { shared.withLock { $0.known.map { "mysql \($0)" } } }
    /// Every server known now.
    public var knownServers: [String] { shared.withLock { $0.known } }

    public func start() {
        driver.start(every: config.pollInterval, poll: { [self] in await pollOnce() })
    }

    public func stop() async {
        await driver.stop()
        await pool.closeAll()
        queue.close()
    }

    public func requestSnapshot(endpoint: Int) {
        shared.withLock { $0.differ.resync() }
        driver.wake()
    }

    func wake() { driver.wake() }

    /// Stamps `events` in the source's sequence and queues them under the
    /// lock that stamped them: a poll's envelopes and a command's never
    /// overtake each other (a reader would see a gap).
    func emit(_ events: [Event], correlation: String? = nil) {
        let now = clock()
        shared.withLock { s in
            for e in events {
                _ = queue.push(Received(envelope: s.differ.stamp(e, at: now, correlationID: correlation), endpoint: 0, receivedAt: now))
            }
        }
    }
}
