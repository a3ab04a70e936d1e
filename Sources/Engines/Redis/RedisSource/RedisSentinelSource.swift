import ClusterProtocol
import ClusterState
import EventSources
import Logging
import Synchronization

/// Where the sentinels are and which master they watch.
public struct RedisSentinelConfig: Sendable {
    /// `host:port` of each sentinel (every one is asked).
    public var sentinels: [String]
    /// The master's name in the sentinels' config (`sentinel monitor <name> …`).
    public var master: String
    /// Credentials for the master (its `INFO`) and the sentinels alike.
    public var auth: RedisAuth?
    public var pollInterval: Duration = .seconds(1)
    public var requestTimeout: Duration = .seconds(1)
    public var readOnly = false
    /// How long a `SENTINEL FAILOVER` may take before it is reported failed.
    public var failoverTimeout: Duration = .seconds(30)

    public init(sentinels: [String], master: String, auth: RedisAuth? = nil, readOnly: Bool = false) {
        self.sentinels = sentinels
        self.master = master
        self.auth = auth
        self.readOnly = readOnly
    }
}

/// The Redis Sentinel connector as a source: every sentinel is asked each
/// poll for the master and its replicas, the master for its offsets;
/// `RedisSentinelMapper` then `PollDiffer` make the events. `PSUBSCRIBE *`
/// on every sentinel brings its announcements (`+sdown`, `+odown`,
/// `+try-failover` … `+failover-end`, `+switch-master`, `+role-change`,
/// `+convert-to-slave`) as `engine.notice` events, and a poll at once.
/// `promote` is `SENTINEL FAILOVER`: Sentinel chooses the replica.
public final class RedisSentinelSource: EventSource, CommandSink {
    public let queue: EnvelopeQueue
    public let config: RedisSentinelConfig
    public var provides: SourceCapabilities { config.readOnly ? [.roles, .lag] : [.roles, .lag, .promote] }
    let clock: @Sendable () -> Timestamp
    let logger: Logger
    let pool: RESPPool
    let shared: Mutex<Shared>
    let driver = PollDriver()
    public var pollDriver: PollDriver? { driver }

    struct Shared {
        var endpoints: EndpointBook
        var differ: PollDiffer
        var mapper: RedisSentinelMapper
        var version: String?
        var causeHint: (text: String, until: Timestamp)?
        /// Sentinels whose PSUBSCRIBE is up.
        var pushing: Set<String> = []
        /// Announcements lately logged (several sentinels say the same).
        var recent: [String: Timestamp] = [:]
    }

    public init(config: RedisSentinelConfig, queueCapacity: Int = 100_000, clock: @escaping @Sendable () -> Timestamp, logger: Logger) {
        self.config = config
        queue = EnvelopeQueue(capacity: queueCapacity)
        self.clock = clock
        self.logger = logger
        pool = RESPPool(auth: config.auth, timeout: config.requestTimeout)
        let now = clock()
        var mapper = RedisSentinelMapper(name: config.master)
        if config.readOnly { mapper.accepts = [] }
        shared = Mutex(
            Shared(
                endpoints: EndpointBook(count: config.sentinels.count),
                differ: PollDiffer(source: "sentinel/\(config.master)", idPrefix: "sentinel-\(config.master)-\(now.millis)-"), mapper: mapper))
    }

    public var statuses: [EndpointStatus] { shared.withLock { $0.endpoints.statuses } }
    public var stats: [EndpointStats] { shared.withLock { $0.endpoints.stats } }
    public var endpointNames: [String] { config.sentinels.map { "sentinel \($0)" } }
    public var lastPoll: PolledCluster? { shared.withLock { $0.differ.lastPoll } }

    public func start() {
        driver.start(
            every: config.pollInterval, poll: { [self] in await pollOnce() }, others: config.sentinels.map { s in { [self] in await listen(s) } })
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

    func emit(_ events: [Event], correlation: String? = nil) {
        guard !events.isEmpty else { return }
        let now = clock()
        // Queued under the lock that stamped them: a poll's envelopes and
        // these never overtake each other (a reader would see a gap).
        shared.withLock { s in
            for e in events {
                _ = queue.push(Received(envelope: s.differ.stamp(e, at: now, correlationID: correlation), endpoint: 0, receivedAt: now))
            }
        }
    }

    // MARK: The poll

    func pollOnce() async {
        let name = config.master
        let answers = await withTaskGroup(of: (Int, Result<RedisSentinelObservation.SentinelView, SentinelFailure>).self) { group in
            for (i, s) in config.sentinels.enumerated() {
                group.addTask { [pool] in
                    do {
                        let master = try await pool.send(["SENTINEL", "MASTER", name], at: s)
                        let replicas = try await pool.send(["SENTINEL", "REPLICAS", name], at: s)
                        guard let m = Self.textFields(master) else {
                            return (i, .failure(SentinelFailure("SENTINEL MASTER: not a field list", garbage: true)))
                        }
                        let rs = (replicas.elements ?? []).compactMap(Self.textFields)
                        return (i, .success(RedisSentinelObservation.SentinelView(master: m, replicas: rs)))
                    } catch let e as RedisReplyError {
                        return (i, .failure(SentinelFailure("answered \(e.description.prefix(80))", garbage: false)))
                    } catch let e as RESPConnectionError {
                        if case .garbage = e { return (i, .failure(SentinelFailure(e.description, garbage: true))) }
                        return (i, .failure(SentinelFailure(e.description, garbage: false)))
                    } catch {
                        return (i, .failure(SentinelFailure(RESPPool.words(error), garbage: false)))
                    }
                }
            }
            var out: [(Int, Result<RedisSentinelObservation.SentinelView, SentinelFailure>)] = []
            for await a in group { out.append(a) }
            return out
        }
        var o = RedisSentinelObservation()
        let now = clock()
        for (i, answer) in answers {
            let s = config.sentinels[i]
            switch answer {
            case .success(let view):
                o.views[s] = view
                shared.withLock { $0.endpoints.live(i, at: now) }
            case .failure(let f):
                o.unreachable[s] = f.reason
                let first = shared.withLock {
                    $0.endpoints.failed(i, f.reason, garbage: f.garbage, retryInMillis: config.pollInterval.wholeMilliseconds, at: now)
                }
                if first { logger.warning("sentinel \(s): \(f.reason)") }
            }
        }
        guard !o.views.isEmpty else { return }
        if let master = RedisSentinelMapper.agreedMaster(o.views) {
            o.masterInfo = (try? await pool.text(["INFO", "replication"], at: master)).map(RedisInfo.init)
            if shared.withLock({ $0.version == nil }), let server = try? await pool.text(["INFO", "server"], at: master) {
                o.version = RedisInfo(server)["redis_version"]
            }
        }
        shared.withLock { s in
            if let v = o.version { s.version = v }
            o.version = s.version
            o.pushLive = !s.pushing.isEmpty
            if let hint = s.causeHint, hint.until < now { s.causeHint = nil }
            var polled = s.mapper.cluster(o)
            polled.causeHint = s.causeHint?.text
            let before = s.differ.lastPoll?.primaries
            // Queued under the lock that stamped them (see `emit`).
            for e in s.differ.diff(polled, at: now) { _ = queue.push(Received(envelope: e, endpoint: 0, receivedAt: now)) }
            if s.causeHint != nil, let before, !before.isEmpty, polled.primaries != before, !polled.primaries.isEmpty { s.causeHint = nil }
        }
    }

    struct SentinelFailure: Error {
        var reason: String
        var garbage: Bool
        init(_ reason: String, garbage: Bool) {
            self.reason = reason
            self.garbage = garbage
        }
    }

    /// A flat key/value list (RESP2) or a map (RESP3) with text values.
    static func textFields(_ v: RESPValue) -> [String: String]? {
        guard let f = v.fields else { return nil }
        var out: [String: String] = [:]
        for (k, value) in f { if let t = value.text ?? value.int.map(String.init) { out[k] = t } }
        return out
    }

    // MARK: The sentinels' announcements

    /// `PSUBSCRIBE *` on sentinel `address`, reconnected after any failure
    /// (and after a minute of silence: a quiet sentinel is asked again).
    func listen(_ address: String) async {
        // Its own connection (connected and authenticated as the poll's are):
        // in subscribe mode it answers nothing else.
        let subscriber = RESPPool(auth: config.auth, timeout: .seconds(2))
        while !Task.isCancelled {
            do {
                let c = try await subscriber.connection(address)
                _ = try await c.send(["PSUBSCRIBE", "*"])
                shared.withLock { _ = $0.pushing.insert(address) }
                // A wait for the next message ends when the task is
                // cancelled (stop): the connection is closed under it.
                try await withTaskCancellationHandler {
                    while !Task.isCancelled {
                        let message = try await c.next(timeout: .seconds(60))
                        guard let parts = message.elements, parts.count == 4, parts[0].text == "pmessage", let channel = parts[2].text else {
                            continue
                        }
                        announce(from: address, kind: channel, text: parts[3].text ?? "")
                    }
                } onCancel: {
                    c.closeNow()
                }
            } catch {
                // The poll says what is wrong with the sentinel; this only retries.
            }
            shared.withLock { _ = $0.pushing.remove(address) }
            await subscriber.closeAll()
            try? await Task.sleep(for: .seconds(1))
        }
    }

    /// The announcements worth the failover log (not `__sentinel__:hello`),
    /// each once though several sentinels say it.
    static let logged: Set<String> = [
        "+sdown", "-sdown", "+odown", "-odown", "+new-epoch", "+try-failover", "+vote-for-leader", "+elected-leader",
        "+failover-state-select-slave", "+selected-slave", "+failover-state-send-slaveof-noone", "+failover-state-wait-promotion",
        "+promoted-slave", "+failover-state-reconf-slaves", "+slave-reconf-sent", "+slave-reconf-inprog", "+slave-reconf-done",
        "+failover-end", "+failover-end-for-timeout", "-failover-abort-not-elected", "-failover-abort-no-good-slave", "+switch-master",
        "+role-change", "-role-change", "+convert-to-slave", "+reset-master", "+tilt", "-tilt",
    ]

    func announce(from sentinel: String, kind: String, text: String) {
        guard Self.logged.contains(kind) else { return }
        let now = clock()
        let fresh = shared.withLock { s -> Bool in
            let key = "\(kind) \(text)"
            s.recent = s.recent.filter { now.millis(since: $0.value) < 10_000 }
            if s.recent.count > 256 { s.recent = [:] }
            guard s.recent[key] == nil else { return false }
            s.recent[key] = now
            // What the next change of master is told as.
            if kind == "+odown" || kind == "+try-failover" || kind == "+switch-master" {
                let ours = s.causeHint?.text.contains("clusterdash") ?? false
                if !ours { s.causeHint = ("failover by Sentinel (\(kind) \(text.prefix(80)))", now.adding(millis: 60_000)) }
            }
            return true
        }
        if fresh { emit([.engineNotice(EngineNotice(from: "sentinel \(sentinel)", node: nil, kind: kind, text: text))]) }
        driver.wake()
    }

    // MARK: Failover

    public func send(_ op: ClientOp) -> Bool {
        guard let requestID = op.requestID else { return false }
        if let why = commandRefusal(op, engine: "Redis Sentinel", readOnly: config.readOnly, accepts: ["promote"]) {
            result(requestID, op.op, .rejected, why)
            return true
        }
        guard case .promote(_, let node, let mode) = op else { return false }
        if let mode {
            result(requestID, op.op, .rejected, "SENTINEL FAILOVER has no mode \(mode.prefix(20)): nothing was sent")
            return true
        }
        Task { await self.failover(requestID: requestID, asked: node) }
        return true
    }

    func result(_ requestID: String, _ op: String, _ status: CommandStatus, _ reason: String) {
        emit([.commandResult(CommandResult(requestID: requestID, op: op, status: status, reason: reason))], correlation: requestID)
    }

    /// `SENTINEL FAILOVER <master>`: Sentinel takes no candidate; the
    /// replica the operator chose is what the dashboard expected, and the
    /// result says which one Sentinel picked.
    func failover(requestID: String, asked: String) async {
        guard let poll = lastPoll else { return result(requestID, "promote", .rejected, "nothing is known of the master yet") }
        guard let old = poll.primaries.first else { return result(requestID, "promote", .rejected, "the sentinels name no master") }
        let likely = RedisSentinelMapper.likelyChoice(poll.nodes)
        let now = clock()
        shared.withLock { $0.causeHint = ("SENTINEL FAILOVER requested from clusterdash", now.adding(millis: 60_000)) }
        emit(
            [.promotionRequested(PromotionRequested(requestID: requestID, candidate: asked, requestedBy: "clusterdash (SENTINEL FAILOVER)"))],
            correlation: requestID)
        logger.notice("promote: SENTINEL FAILOVER \(config.master) (asked for \(asked), Sentinel will likely pick \(likely ?? "none"))")
        var refusal = "no sentinel answered"
        var sent = false
        for s in config.sentinels {
            do {
                _ = try await pool.send(["SENTINEL", "FAILOVER", config.master], at: s)
                sent = true
                break
            } catch let e as RedisReplyError {
                refusal = "\(s) answered \(e.description)"
                break
            } catch {
                refusal = "\(s): \(RESPPool.words(error))"
            }
        }
        guard sent else {
            shared.withLock { $0.causeHint = nil }
            return result(requestID, "promote", .rejected, "SENTINEL FAILOVER refused: \(refusal)")
        }
        result(requestID, "promote", .accepted, "SENTINEL FAILOVER accepted; Sentinel chooses the replica (likely \(likely ?? "?"))")
        let deadline = ContinuousClock.now + config.failoverTimeout
        while ContinuousClock.now < deadline {
            driver.wake()
            try? await Task.sleep(for: .milliseconds(200))
            if let p = lastPoll, let master = p.primaries.first, master != old, p.nodes.first(where: { $0.id == master })?.health == .healthy {
                let took = formatDuration(clock().millis(since: now), .compactMillis)
                let which = master == asked ? "\(master), as asked" : "\(master) (you chose \(asked): Sentinel picks by priority and offset)"
                return result(requestID, "promote", .completed, "Sentinel promoted \(which) after \(took)")
            }
        }
        result(
            requestID, "promote", .failed,
            "the sentinels still name \(old) \(formatDuration(clock().millis(since: now), .words)) after SENTINEL FAILOVER")
    }
}
