import ClusterProtocol
import ClusterState
import EventSources
import Logging
import Synchronization

/// Where a Redis Cluster is and how to treat it.
public struct RedisClusterConfig: Sendable {
    /// `host:port` of one node or more; the rest are found from `CLUSTER NODES`.
    public var seeds: [String]
    public var auth: RedisAuth?
    /// The cluster's name on screen (Redis gives a cluster none): the
    /// config's name for it, else the first node given.
    public var name: String
    public var pollInterval: Duration = .seconds(1)
    /// Between polls, each master's own `CLUSTER NODES` alone this often; a
    /// changed view runs the poll at once (`MasterViewWatch`). Nil: polls only.
    public var viewProbeInterval: Duration? = .milliseconds(150)
    /// A node that has not answered in this long is missed for this poll
    /// (a stopped one then holds a poll back no longer).
    public var requestTimeout: Duration = .seconds(1)
    public var readOnly = false
    /// Keys per `MIGRATE` batch, and a pause between batches (to spare a
    /// busy production cluster; zero by default).
    public var migrateBatch = 100
    public var migratePause: Duration = .zero
    /// `MIGRATE`'s own timeout, in milliseconds.
    public var migrateTimeoutMillis = 5_000
    /// How long a `CLUSTER FAILOVER` may take before it is reported failed.
    public var failoverTimeout: Duration = .seconds(15)

    public init(seeds: [String], auth: RedisAuth? = nil, readOnly: Bool = false) {
        self.seeds = seeds
        self.auth = auth
        self.readOnly = readOnly
        name = seeds.first ?? "redis-cluster"
    }

    /// `host:port` split; nil when it is not of that form.
    public static func hostPort(_ address: String) -> (host: String, port: Int)? { RedisAddress.split(address) }
}

/// The Redis Cluster connector as a source: every node is asked each poll
/// (every second by default) for its own view (`CLUSTER NODES`), `INFO
/// replication`, `DBSIZE` and `CLUSTER INFO`; `RedisClusterMapper` then
/// `PollDiffer` turn that into protocol-v1 envelopes, the slot table
/// included. Moves under way (ours, or anyone's from the migrating and
/// importing marks) are migrations. `promote` is `CLUSTER FAILOVER` on the
/// replica; `migrate` moves a tenant's slot for real; `cancel_migration`
/// puts the keys back and leaves the slot where it was.
public final class RedisClusterSource: EventSource, CommandSink {
    public let queue: EnvelopeQueue
    public let config: RedisClusterConfig
    public var provides: SourceCapabilities {
        config.readOnly ? [.roles, .lag, .assignments, .migrations] : .all
    }
    let clock: @Sendable () -> Timestamp
    let logger: Logger
    let pool: RESPPool
    /// Commands (moves, failovers) use their own connections: a poll never
    /// waits behind a batch of keys.
    let commandPool: RESPPool
    let shared: Mutex<Shared>
    let driver = PollDriver()
    public var pollDriver: PollDriver? { driver }

    struct Shared {
        var endpoints = EndpointBook(count: 0)
        var differ: PollDiffer
        var mapper: RedisClusterMapper
        /// Every node's address, from the last `CLUSTER NODES` seen.
        var known: [String] = []
        var version: String?
        var causeHint: (text: String, until: Timestamp)?
        /// Moves of ours, by slot; moves seen from the marks, by slot.
        var moves: [Int: Move] = [:]
        /// Slots whose move of ours ended lately: a poll taken before the end
        /// may still show its marks, which are not someone else's move.
        var endedOurs: [Int: Timestamp] = [:]
        /// Set by `stop`: no new move starts.
        var stopping = false
        var polls = 0
        var masterViews = MasterViewWatch()
    }

    /// A slot move the dashboard shows: one of ours (with its cancel flag)
    /// or one seen from the marks.
    struct Move {
        var info: MigrationInfo
        var slot: Int
        var ours: Bool
        var cancelRequested = false
        var startedAt: Timestamp
    }

    public init(config: RedisClusterConfig, queueCapacity: Int = 100_000, clock: @escaping @Sendable () -> Timestamp, logger: Logger) {
        self.config = config
        queue = EnvelopeQueue(capacity: queueCapacity)
        self.clock = clock
        self.logger = logger
        pool = RESPPool(auth: config.auth, timeout: config.requestTimeout)
        commandPool = RESPPool(auth: config.auth, timeout: config.requestTimeout)
        let now = clock()
        var mapper = RedisClusterMapper(name: config.name)
        if config.readOnly { mapper.accepts = [] }
        shared = Mutex(
            Shared(
                endpoints: EndpointBook(count: config.seeds.count),
                differ: PollDiffer(source: "redis/\(config.name)", idPrefix: "redis-\(config.name)-\(now.millis)-"), mapper: mapper))
    }

    public var statuses: [EndpointStatus] { shared.withLock { $0.endpoints.statuses } }
    public var stats: [EndpointStats] { shared.withLock { $0.endpoints.stats } }
    public var endpointNames: [String] { config.seeds.map { "redis \($0)" } }
    /// Commands sent to the cluster's nodes so far (polls and moves).
    public var commandsSent: Int { pool.sent + commandPool.sent }
    public var feed: String { "polling" }
    /// The last poll, as mapped (nil before the first).
    public var lastPoll: PolledCluster? { shared.withLock { $0.differ.lastPoll } }
    /// Nodes the last `CLUSTER NODES` named.
    public var knownNodes: Int { shared.withLock { $0.known.count } }

    public func start() {
        let probe: [@Sendable () async -> Void] = config.viewProbeInterval.map { every in [{ [self] in await probeMasters(every: every) }] } ?? []
        driver.start(every: config.pollInterval, poll: { [self] in await pollOnce() }, others: probe)
    }

    public func stop() async {
        // Moves of ours are cancelled (every key goes back) and waited for:
        // quitting never leaves a slot half moved.
        let moving = shared.withLock { s -> Int in
            s.stopping = true
            for (slot, move) in s.moves where move.ours { s.moves[slot]?.cancelRequested = true }
            return s.moves.values.filter(\.ours).count
        }
        if moving > 0 { logger.notice("stopping: \(moving) move(s) of ours cancelled, their keys going back") }
        let deadline = ContinuousClock.now + .seconds(60)
        while shared.withLock({ $0.moves.values.contains(where: \.ours) }), ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        await driver.stop()
        await pool.closeAll()
        await commandPool.closeAll()
        queue.close()
    }

    public func requestSnapshot(endpoint: Int) {
        shared.withLock { $0.differ.resync() }
        driver.wake()
    }

    func wake() { driver.wake() }

    /// Queues envelopes just stamped; called under the `shared` lock that
    /// stamped them, so that a poll's envelopes and a command's never
    /// overtake each other on the way to the queue (a reader would see a
    /// gap, then a stale seq: seen once the masters' probe ran polls
    /// during a move).
    private func push(_ envelopes: [Envelope]) {
        let now = clock()
        for e in envelopes { _ = queue.push(Received(envelope: e, endpoint: 0, receivedAt: now)) }
    }

    /// Stamps events in this source's sequence and queues them.
    func emit(_ events: [Event], correlation: String? = nil) {
        guard !events.isEmpty else { return }
        let now = clock()
        shared.withLock { s in push(events.map { s.differ.stamp($0, at: now, correlationID: correlation) }) }
    }

    // MARK: The poll

    /// What one node said this poll, or why it said nothing.
    enum NodeAnswer: Sendable {
        case view(nodes: [ClusterNode], replication: RedisInfo, keys: Int64?, info: RedisInfo, version: String?)
        case loading
        case failed(String, garbage: Bool)
    }

    func ask(_ address: String, wantVersion: Bool) async -> NodeAnswer {
        do {
            let text = try await pool.text(["CLUSTER", "NODES"], at: address)
            let nodes: [ClusterNode]
            do throws(ClusterNodesError) {
                nodes = try ClusterNodes.parse(text)
            } catch {
                return .failed("CLUSTER NODES unreadable: \(error.description)", garbage: true)
            }
            let replication = RedisInfo(try await pool.text(["INFO", "replication"], at: address))
            let keys = try await pool.send(["DBSIZE"], at: address).int
            let info = RedisInfo(try await pool.text(["CLUSTER", "INFO"], at: address))
            let version = wantVersion ? RedisInfo(try await pool.text(["INFO", "server"], at: address))["redis_version"] : nil
            return .view(nodes: nodes, replication: replication, keys: keys, info: info, version: version)
        } catch let e as RedisReplyError {
            if e.text.hasPrefix("LOADING") { return .loading }
            return .failed("answered -\(e.text.prefix(80))", garbage: false)
        } catch let e as RESPPool.Unexpected {
            return .failed(e.description, garbage: true)
        } catch let e as RESPConnectionError {
            if case .garbage = e { return .failed(e.description, garbage: true) }
            return .failed(e.description, garbage: false)
        } catch {
            return .failed(RESPPool.words(error), garbage: false)
        }
    }

    /// One observation of every node, then the diff and the moves on the
    /// queue. When no node answers nothing is sent: the last good data stays
    /// on screen with its age, and the statuses say why.
    func pollOnce() async {
        let (known, wantVersion) = shared.withLock { s in (s.known, s.version == nil) }
        var asked = Set<String>()
        var observation = RedisClusterObservation()
        var toAsk = config.seeds + known.filter { !config.seeds.contains($0) }
        // Nodes found in this poll's answers are asked in the same poll.
        while !toAsk.isEmpty {
            let batch = toAsk.filter { asked.insert($0).inserted }
            toAsk = []
            let answers = await withTaskGroup(of: (String, NodeAnswer).self) { group in
                for address in batch {
                    group.addTask { [self] in (address, await ask(address, wantVersion: wantVersion)) }
                }
                var out: [(String, NodeAnswer)] = []
                for await a in group { out.append(a) }
                return out
            }
            for (address, answer) in answers {
                switch answer {
                case .view(let nodes, let replication, let keys, let info, let version):
                    observation.views[address] = nodes
                    observation.replication[address] = replication
                    if let keys { observation.keys[address] = keys }
                    observation.clusterInfo[address] = info
                    if let version { observation.version = version }
                    for n in nodes where !n.address.isEmpty && !asked.contains(n.address) && !n.flags.contains("noaddr") {
                        // Bounded: Redis Cluster's own ceiling is about 1000 nodes.
                        if asked.count + toAsk.count < Self.maxNodes { toAsk.append(n.address) }
                    }
                case .loading:
                    observation.loading.insert(address)
                    observation.unreachable[address] = "loading its data"
                case .failed(let why, _):
                    observation.unreachable[address] = why
                }
                if let i = config.seeds.firstIndex(of: address) {
                    switch answer {
                    case .view: markLive(i)
                    case .loading: markFailed(i, "LOADING: the node is loading its data", garbage: false)
                    case .failed(let why, let garbage): markFailed(i, why, garbage: garbage)
                    }
                }
            }
            toAsk = Array(Set(toAsk)).sorted()
        }
        guard !observation.views.isEmpty else { return }
        await pool.retain(only: Set(config.seeds).union(asked))
        let now = clock()
        let masters = observation.views.compactMap { address, view in
            view.first(where: \.isMyself)?.flags.contains("master") == true ? address : nil
        }
        let views = Dictionary(uniqueKeysWithValues: masters.map { ($0, observation.views[$0]) })
        let (marks, table) = shared.withLock { s -> ([SlotMove], [PartitionAssignment]) in
            s.polls += 1
            s.masterViews.polled(masters: masters.sorted(), views: views)
            if let v = observation.version { s.version = v }
            observation.version = observation.version ?? s.version
            var seen = Set<String>()
            for view in observation.views.values {
                for n in view where !n.address.isEmpty && !n.flags.contains("noaddr") { seen.insert(n.address) }
            }
            s.known = Array(seen.sorted(by: naturalLess).prefix(Self.maxNodes))
            if let hint = s.causeHint, hint.until < now { s.causeHint = nil }
            var (polled, marks) = s.mapper.cluster(observation)
            polled.causeHint = s.causeHint?.text
            polled.migrations = s.moves.values.map(\.info).filter { $0.state == .inProgress }
            let before = Self.primaries(s.differ.lastPoll)
            push(s.differ.diff(polled, at: now))
            if s.causeHint != nil, Self.primaries(polled) != before, !before.isEmpty { s.causeHint = nil }
            return (marks, polled.assignment?.partitions ?? [])
        }
        await followMarks(marks, table: table)
    }

    static func primaries(_ c: PolledCluster?) -> Set<String> { Set(c?.primaries ?? []) }

    /// Every `every`, each master of the last poll asked for its own
    /// `CLUSTER NODES` alone; a changed view runs the full poll now (a
    /// slot's new owner or a failover on screen within about one probe, not
    /// one poll).
    func probeMasters(every: Duration) async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: every) } catch { return }
            let targets = shared.withLock { $0.masterViews.targets }
            guard !targets.isEmpty else { continue }
            let views = await withTaskGroup(of: (String, [ClusterNode]?).self) { group in
                for address in targets {
                    group.addTask { [self] in
                        let text = try? await pool.text(["CLUSTER", "NODES"], at: address)
                        return (address, text.flatMap { try? ClusterNodes.parse($0) })
                    }
                }
                var out: [String: [ClusterNode]?] = [:]
                for await (address, view) in group { out[address] = view }
                return out
            }
            if shared.withLock({ $0.masterViews.probed(views) }) { driver.wake() }
        }
    }

    /// The most nodes asked in one poll.
    static let maxNodes = 1_000

    // MARK: Endpoint status

    func markLive(_ i: Int) {
        let now = clock()
        shared.withLock { $0.endpoints.live(i, at: now) }
    }

    func markFailed(_ i: Int, _ reason: String, garbage: Bool) {
        let now = clock()
        let first = shared.withLock {
            $0.endpoints.failed(i, reason, garbage: garbage, retryInMillis: config.pollInterval.wholeMilliseconds, at: now)
        }
        if first { logger.warning("\(endpointNames[i]): \(reason)") }
    }
}
