import ClusterProtocol
import ClusterState
import EtcdProtocol
import EventSources

/// What one poll of an etcd cluster gathered.
public struct EtcdObservation: Sendable, Hashable {
    /// The member list, as the first member that answered gave it.
    public var members: [EtcdMember]
    /// Each started member's own status, by ID, where it answered.
    public var statuses: [UInt64: EtcdStatus]
    /// Started members whose status did not come, by ID: why.
    public var unreachable: [UInt64: String]
    public var alarms: [EtcdAlarm]
    /// From the leader's `/metrics`: whether it is connected to each peer
    /// (nil: not read this poll). The only sign of a dead peer the
    /// survivors give: their status and `/health` stay clean.
    public var leaderSeesPeer: [UInt64: Bool]?
    /// Why the leader would have changed, when we know (a command of ours).
    public var causeHint: String?

    public init(
        members: [EtcdMember], statuses: [UInt64: EtcdStatus], unreachable: [UInt64: String] = [:], alarms: [EtcdAlarm] = [],
        leaderSeesPeer: [UInt64: Bool]? = nil, causeHint: String? = nil
    ) {
        self.members = members
        self.statuses = statuses
        self.unreachable = unreachable
        self.alarms = alarms
        self.leaderSeesPeer = leaderSeesPeer
        self.causeHint = causeHint
    }

    /// The leader, as the members that answered with the highest term say
    /// (during an election: nil).
    public var leader: UInt64? {
        guard let term = statuses.values.map(\.raftTerm).max() else { return nil }
        var votes: [UInt64: Int] = [:]
        for s in statuses.values where s.raftTerm == term {
            if let l = s.leader { votes[l, default: 0] += 1 }
        }
        // The most named; between equals, the lowest ID (the same every poll).
        let ranked = votes.sorted { a, b in a.value != b.value ? a.value > b.value : a.key < b.key }
        return ranked.first?.key
    }
}

/// Maps etcd's members onto the dashboard's nodes: the leader is the
/// primary, followers and learners replicas (the engine's word says
/// which), the raft term the term, the lag the raft entries a member's
/// index is behind the leader's. A member that does not answer is never
/// given a lag of 0: its lag is unknown, its role the last one seen, and
/// its state says since when and whether the leader lost it too. Pure;
/// remembers roles, misses and since when a problem holds.
public struct EtcdMapper: Sendable {
    /// Polls in a row a member must miss before it counts as down.
    public var unreachableAfter = 2
    private var misses: [UInt64: Int] = [:]
    private var lastRole: [UInt64: NodeRole] = [:]
    private var since: [UInt64: (what: String, at: Timestamp)] = [:]
    private var lastLeaderSeesPeer: [UInt64: Bool] = [:]
    private var version: String?

    public init() {}

    public mutating func cluster(_ o: EtcdObservation, name: String, feed: String = "polling", at now: Timestamp) -> PolledCluster {
        let known = Set(o.members.map(\.id))
        misses = misses.filter { known.contains($0.key) }
        lastRole = lastRole.filter { known.contains($0.key) }
        since = since.filter { known.contains($0.key) }
        if let seen = o.leaderSeesPeer { lastLeaderSeesPeer = seen }
        let leader = o.leader
        let leaderIndex = leader.flatMap { o.statuses[$0]?.raftIndex }
        let term = Int64(clamping: o.statuses.values.map(\.raftTerm).max() ?? 0)
        if let v = o.statuses.values.map(\.version).filter({ !$0.isEmpty }).max() { version = v }
        var nodes: [NodeInfo] = []
        var votersUp = 0
        // By name: the member list comes in ID order, which is no order to read.
        for m in o.members.sorted(by: { $0.nodeID < $1.nodeID }) {
            let alarms = o.alarms.filter { $0.memberID == m.id }.map(\.alarm)
            let node: NodeInfo
            if let s = o.statuses[m.id] {
                misses[m.id] = 0
                node = answered(m, s, leader: leader, leaderIndex: leaderIndex, alarms: alarms, at: now)
                if !m.isLearner, !s.isLearner { votersUp += 1 }
            } else {
                misses[m.id, default: 0] += 1
                node = silent(m, why: o.unreachable[m.id], leader: leader, alarms: alarms, term: term, at: now)
            }
            lastRole[m.id] = node.role
            nodes.append(node)
        }
        let voters = o.members.filter { !$0.isLearner }.count
        let divergence = Self.divergence(o)
        let info = EngineClusterInfo(
            name: EtcdRules.name.rawValue, version: version, lagUnit: EtcdRules.lagUnit, feed: feed, accepts: ["promote"],
            provides: ["roles", "lag"],
            state: o.alarms.isEmpty ? nil : "under alarm " + Set(o.alarms.map(\.alarm)).sorted().joined(separator: ","),
            divergence: divergence, quorum: Int64(voters / 2 + 1), witnesses: Int64(votersUp), sentinels: Int64(voters))
        return PolledCluster(name: name, term: term, nodes: nodes, engine: info, causeHint: o.causeHint)
    }

    mutating func answered(_ m: EtcdMember, _ s: EtcdStatus, leader: UInt64?, leaderIndex: UInt64?, alarms: [String], at now: Timestamp)
        -> NodeInfo
    {
        let isLeader = leader == m.id
        let learner = m.isLearner || s.isLearner
        let word = isLeader ? "leader" : learner ? "learner" : "follower"
        let role: NodeRole = isLeader ? .primary : .replica
        var lag: Int64?
        var lagState: LagState?
        if !isLeader {
            if let leaderIndex {
                if s.raftIndex > leaderIndex {
                    lagState = .ahead
                } else {
                    lag = Int64(clamping: leaderIndex - s.raftIndex)
                    lagState = .measured
                }
            } else {
                lagState = .unknown
            }
        }
        let state =
            alarms.isEmpty
            ? (leader == nil ? stamped(m.id, key: "no leader", "started, no leader", at: now) : clear(m.id, "started"))
            : stamped(m.id, key: "alarm", "alarm \(alarms.joined(separator: ","))", at: now)
        var engine = EngineNodeInfo(
            role: word, state: state, lagBytes: lag, lagState: lagState,
            tags: [JSONField("id", .string(m.hexID)), JSONField("version", .string(s.version)), JSONField("voting", .bool(!learner))])
        engine.position = Self.position(s)
        let health: NodeHealth = alarms.isEmpty ? .healthy : .degraded
        return NodeInfo(
            id: m.nodeID, address: Self.address(m), role: role, health: health, term: Int64(clamping: s.raftTerm), managerState: .stable,
            engine: engine)
    }

    mutating func silent(_ m: EtcdMember, why: String?, leader: UInt64?, alarms: [String], term: Int64, at now: Timestamp) -> NodeInfo {
        let learner = m.isLearner
        var engine = EngineNodeInfo(
            role: learner ? "learner" : nil, tags: [JSONField("id", .string(m.hexID)), JSONField("voting", .bool(!learner))])
        let health: NodeHealth
        let role: NodeRole
        if !m.isStarted {
            // Added, never started: etcdctl's "unstarted".
            role = .replica
            engine.state = stamped(m.id, key: "unstarted", "unstarted", at: now)
            // A voter that never started counts against quorum; a learner does not.
            health = learner ? .degraded : .unhealthy
        } else {
            // The last role seen; a leader the others still follow stays one
            // until they elect another.
            role = leader == m.id ? .primary : lastRole[m.id] == .primary && leader != nil ? .replica : lastRole[m.id] ?? .unknown
            let missed = misses[m.id] ?? 1
            health = missed >= unreachableAfter ? .unhealthy : .suspect
            let peers: String =
                switch lastLeaderSeesPeer[m.id] {
                case false?: "; the leader lost it too"
                case true?: "; the leader still reaches it"
                case nil: ""
                }
            engine.state = stamped(m.id, key: "unreachable", "unreachable: \(why ?? "no answer")\(peers)", at: now)
        }
        engine.role = engine.role ?? (role == .primary ? "leader" : role == .replica ? "follower" : nil)
        if !alarms.isEmpty { engine.state = "\(engine.state ?? "") alarm \(alarms.joined(separator: ","))" }
        if role == .replica { engine.lagState = .unknown }
        return NodeInfo(id: m.nodeID, address: Self.address(m), role: role, health: health, term: term, managerState: .stable, engine: engine)
    }

    /// The problem's words with when it began: kept while `key` (what the
    /// problem is, not its changing words) stays the same.
    mutating func stamped(_ id: UInt64, key: String, _ what: String, at now: Timestamp) -> String {
        if let s = since[id], s.what == key { return "\(what) (since \(s.at.clockTime))" }
        since[id] = (key, now)
        return "\(what) (since \(now.clockTime))"
    }

    mutating func clear(_ id: UInt64, _ state: String) -> String {
        since[id] = nil
        return state
    }

    /// Where the member's log stands: raft index, applied index, the
    /// database's size (shown, never compared).
    static func position(_ s: EtcdStatus) -> String {
        var parts = ["index \(s.raftIndex)"]
        if let applied = s.raftAppliedIndex, applied != s.raftIndex { parts.append("applied \(applied)") }
        parts.append("db \(formatBytes(s.dbSize))" + (s.dbSizeInUse.map { " (\(formatBytes($0)) in use)" } ?? ""))
        return parts.joined(separator: ", ")
    }

    /// `host:port` of the member's first client URL (its peer URL while unstarted).
    static func address(_ m: EtcdMember) -> String? {
        guard let url = m.clientURLs.first ?? m.peerURLs.first else { return nil }
        let noScheme = url.split(separator: "/", omittingEmptySubsequences: true).dropFirst().first
        return noScheme.map(String.init) ?? url
    }

    /// Members that answered but follow different leaders in the same term:
    /// one line each.
    static func divergence(_ o: EtcdObservation) -> [String] {
        guard let term = o.statuses.values.map(\.raftTerm).max() else { return [] }
        let current = o.statuses.values.filter { $0.raftTerm == term }
        let leaders = Set(current.compactMap(\.leader))
        guard leaders.count > 1 else { return [] }
        let names = Dictionary(o.members.map { ($0.id, $0.nodeID) }, uniquingKeysWith: { a, _ in a })
        return current.sorted { $0.memberID < $1.memberID }.map { s in
            "\(names[s.memberID] ?? String(s.memberID, radix: 16)) follows \(s.leader.map { names[$0] ?? String($0, radix: 16) } ?? "no leader") in term \(term)"
        }
    }
}
