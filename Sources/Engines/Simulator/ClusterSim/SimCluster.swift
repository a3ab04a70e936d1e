import ClusterProtocol
import ClusterState
import DequeModule
import EventSources

/// One simulated node.
struct SimNode: Sendable, Hashable {
    enum HealthCause: Sendable, Hashable { case none, lag, fault, unreachable }

    var id: String
    var region: String
    var address: String
    var role: NodeRole = .unknown
    var health: NodeHealth = .healthy
    var failures: Int64 = 0
    var healthCause: HealthCause = .none
    var manager: ManagerState = .initial
    var calculator: CalculatorState?
    var lagMillis: Double = 150
    var baseLagMillis: Double = 150
    var spikeUntil: Timestamp?
    var spikeTarget: Double = 0
    var connected = true
    var alive = true
    /// Start-up walk finished: heartbeats and lag samples flow.
    var running = false
    var joinedAt: Timestamp

    var isServiceable: Bool { alive && health.isServiceable }
}

/// One simulated migration.
struct SimMigration: Sendable, Hashable {
    var info: MigrationInfo
    var requestID: String
    var startedAt: Timestamp
}

/// What the engine does later: its own timeline.
enum SimAction: Sendable, Hashable {
    case startup(step: Int)
    case finishColdStart
    case completeElection(term: Int64, candidate: String, then: AfterElection)
    case finishPromotion(requestID: String, candidate: String)
    case migrationStep(id: String)
    case nodeStartup(node: String, step: Int)
    case finishPlannedScale(node: String)
    case endLagSpike(node: String)
    case degradeStep(node: String)
    case recover(node: String)
    case endQuorumLoss(nodes: [String])
    case reconnect(node: String)
    case fault(Fault)
    case demo(step: Int)

    enum AfterElection: Sendable, Hashable { case nothing, emergencyRebalance }
}

struct Scheduled: Sendable, Hashable {
    var at: Timestamp
    var order: Int
    var action: SimAction
}

/// A deterministic simulated cluster: nodes, elections, replication,
/// assignments, migrations and promotions, producing protocol-v1 envelopes.
///
/// It has no clock and does no I/O: `advance(to:)` moves its time forward
/// and returns what happened; `handle(_:scope:)` answers commands. The same
/// config and the same calls give the same envelopes.
public struct SimCluster: Sendable {
    public let config: SimConfig
    public private(set) var now: Timestamp
    var rng: SplitMix64
    var nodes: [SimNode]
    var term: Int64 = 0
    var leader: String?
    var weights: [Double]
    var assignmentVersion: Int64 = 0
    var table: [PartitionAssignment] = []
    var tenants: [String: String]
    var migrations: Deque<SimMigration> = []
    var migrationCounter = 0
    var inhibitUntil: Timestamp?
    var promotionInFlight: String?
    var commandResults: BoundedDictionary<String, CommandResult>
    var timeline: [Scheduled] = []
    var timelineOrder = 0
    var nextTick: Timestamp
    var nextHeartbeat: Timestamp
    var sampleBudget: Double = 0
    var sampleCursor = 0
    /// Ids and per-source seqs of everything the simulated cluster sends.
    var stamper: EnvelopeStamper
    public var seqs: [String: Int64] { stamper.seqs }
    var outbox: [Envelope] = []

    /// Migrations kept after they finish.
    static let finishedMigrationsKept = 64

    public init(config: SimConfig, start: Timestamp) {
        self.config = config
        self.now = start
        self.rng = SplitMix64(seed: config.seed)
        let regions = config.regions.isEmpty ? ["default"] : config.regions
        nodes = config.nodeIDs.enumerated().map { i, id in
            SimNode(
                id: id, region: regions[i % regions.count], address: "127.0.0.1:\(7401 + i)", joinedAt: start)
        }
        var rng = SplitMix64(seed: config.seed ^ 0x5EED)
        let choices: [Double] = [0.5, 1, 1, 1, 2, 4]
        weights = (0..<max(0, config.partitions)).map { _ in
            config.strategy == .weighted ? choices[Int(rng.next() % UInt64(choices.count))] : 1
        }
        var tenants: [String: String] = [:]
        for (i, t) in config.tenantNames.enumerated() { tenants[t] = regions[i % regions.count] }
        self.tenants = tenants
        commandResults = BoundedDictionary(capacity: 4_096)
        nextTick = start.adding(millis: config.tickMillis)
        nextHeartbeat = start.adding(millis: config.heartbeatMillis)
        stamper = EnvelopeStamper(idPrefix: "s\(String(config.seed, radix: 36))-\(String(start.millis, radix: 36))-")
        for i in nodes.indices { nodes[i].baseLagMillis = 80 + Double(rng.int(in: 0...200)) }
        schedule(at: start, .startup(step: 0))
        if config.demoFaults { schedule(at: start.adding(millis: config.demoStartMillis), .demo(step: 0)) }
    }

    // MARK: Public API

    /// Every source that has sent an event.
    public var sources: [String] { seqs.keys.sorted(by: naturalLess) }

    /// The node ids of the cluster, alive or not.
    public var nodeIDs: [String] { nodes.map(\.id) }

    /// Whether `node` is running (not crashed).
    public func isAlive(_ node: String) -> Bool { nodes.first { $0.id == node }?.alive ?? false }

    /// The current primary, if exactly one.
    public var primary: String? {
        let p = nodes.filter { $0.alive && $0.role == .primary }
        return p.count == 1 ? p[0].id : nil
    }

    /// Moves time forward to `t`, running everything due, and returns the events.
    public mutating func advance(to t: Timestamp) -> [Envelope] {
        while true {
            let nextAction = timeline.first?.at
            let candidates = [nextAction, nextTick].compactMap { $0 }
            guard let due = candidates.min(), due <= t else { break }
            now = max(now, due)
            if let a = nextAction, a <= nextTick {
                let item = timeline.removeFirst()
                run(item.action)
            } else {
                tick()
                nextTick = nextTick.adding(millis: max(1, config.tickMillis))
            }
        }
        if t > now { now = t }
        return drain()
    }

    /// Causes trouble now.
    public mutating func inject(_ fault: Fault) -> [Envelope] {
        apply(fault)
        return drain()
    }

    /// Schedules trouble at `t` (scenario files).
    public mutating func inject(_ fault: Fault, at t: Timestamp) {
        schedule(at: t, .fault(fault))
    }

    /// The authoritative state as a `cluster.snapshot` from the leader. With
    /// `covering`, its seqs hold only those sources (a per-node endpoint).
    public func snapshot(covering: Set<String>? = nil, source: String? = nil) -> Envelope {
        let liveNodes = nodes.filter(\.alive).map(nodeInfo)
        let assignment =
            assignmentVersion > 0
            ? AssignmentTable(version: assignmentVersion, strategy: config.strategy, partitions: table) : nil
        let covered = seqs.filter { covering?.contains($0.key) ?? true }
        let from = source ?? leader ?? nodes.first(where: \.alive)?.id ?? "sim"
        let data = ClusterSnapshot(
            cluster: config.clusterName, term: term, leader: leader, nodes: liveNodes, assignment: assignment,
            migrations: migrations.map(\.info),
            tenants: tenants.sorted { $0.key < $1.key }.map { TenantPlacement(tenant: $0.key, region: $0.value) },
            seqs: covered)
        return Envelope(
            id: "\(stamper.idPrefix)snap-\(stamper.counter)-\(from)", source: from, seq: seqs[from] ?? 0, timestamp: now,
            event: .snapshot(data))
    }

    // MARK: Emission

    mutating func emit(_ source: String, _ event: Event, correlation: String? = nil, causation: String? = nil) {
        outbox.append(stamper.stamp(event, from: source, at: now, correlation: correlation, causation: causation))
    }

    mutating func drain() -> [Envelope] {
        defer { outbox.removeAll(keepingCapacity: true) }
        return outbox
    }

    mutating func schedule(at t: Timestamp, _ action: SimAction) {
        timelineOrder += 1
        let item = Scheduled(at: t, order: timelineOrder, action: action)
        // Keep the timeline sorted by time, then by insertion.
        var i = timeline.count
        while i > 0, timeline[i - 1].at > t { i -= 1 }
        timeline.insert(item, at: i)
    }

    mutating func schedule(after millis: Int64, _ action: SimAction) {
        schedule(at: now.adding(millis: millis), action)
    }

    // MARK: Helpers

    func index(of id: String) -> Int? { nodes.firstIndex { $0.id == id } }

    func nodeInfo(_ n: SimNode) -> NodeInfo {
        NodeInfo(
            id: n.id, address: n.address, region: n.region, role: n.role, health: n.health, term: term,
            managerState: n.manager, calculatorState: n.calculator,
            lagMillis: n.role == .primary || !n.running ? nil : Int64(n.lagMillis), lastHeartbeat: now)
    }

    /// The validator's view of the simulated nodes.
    var validatorNodes: [PromotionNode] {
        nodes.map { n in
            PromotionNode(
                id: n.id, role: n.role, health: n.health, consecutiveFailures: n.failures, isMember: n.alive,
                isPresent: n.alive, lagMillis: n.role == .replica ? Int64(n.lagMillis) : nil, followerConnected: n.connected)
        }
    }

    var quorumPresent: Bool {
        let members = nodes.filter(\.alive)
        return !members.isEmpty && members.filter(\.isServiceable).count >= members.count / 2 + 1
    }

    /// The node that speaks for the cluster (events with no natural source).
    var speaker: String {
        leader.flatMap { l in nodes.first { $0.id == l && $0.alive }?.id } ?? nodes.first(where: \.alive)?.id ?? "sim"
    }

    mutating func setState(_ i: Int, to state: ManagerState, calculator: CalculatorState? = nil, reason: RebalanceReason? = nil, window: Int64? = nil)
    {
        let from = nodes[i].manager
        nodes[i].manager = state
        if let calculator { nodes[i].calculator = calculator }
        emit(
            nodes[i].id,
            .stateChanged(
                StateChanged(node: nodes[i].id, from: from, to: state, calculatorState: calculator, reason: reason, windowMillis: window)))
    }

    mutating func setHealth(_ i: Int, _ health: NodeHealth, failures: Int64, detail: String?, cause: SimNode.HealthCause) {
        let from = nodes[i].health
        guard from != health || nodes[i].failures != failures else { return }
        nodes[i].health = health
        nodes[i].failures = failures
        nodes[i].healthCause = health == .healthy ? .none : cause
        emit(
            nodes[i].id,
            .healthChanged(HealthChanged(node: nodes[i].id, from: from, to: health, consecutiveFailures: failures, detail: detail)))
    }

    mutating func setRole(_ i: Int, _ role: NodeRole, reason: String?, correlation: String? = nil) {
        let from = nodes[i].role
        guard from != role else { return }
        nodes[i].role = role
        if role == .primary {
            leader = nodes[i].id
            nodes[i].lagMillis = 0
            nodes[i].calculator = .idle
        } else if from == .primary {
            nodes[i].calculator = nil
            if leader == nodes[i].id { leader = nil }
        }
        emit(
            nodes[i].id,
            .roleChanged(RoleChanged(node: nodes[i].id, from: from, to: role, term: term, reason: reason)),
            correlation: correlation)
    }

    mutating func inhibit(reason: String, correlation: String? = nil) {
        let until = now.adding(millis: config.inhibitMillis)
        inhibitUntil = until
        emit(speaker, .inhibited(FailoverInhibited(until: until, reason: reason)), correlation: correlation)
    }
}
