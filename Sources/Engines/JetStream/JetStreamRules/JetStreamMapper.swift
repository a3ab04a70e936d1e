import ClusterProtocol
import ClusterState
import EventSources
import JetStreamProtocol

/// Maps a NATS JetStream cluster onto the dashboard: servers are nodes
/// (keyed by `server_name`: their ids change on every restart), the meta
/// leader is the primary, each server's lag the raft entries it is behind
/// in the meta group; streams are the partitions, each owned by its leader,
/// every figure taken from the leader's own view. A server that does not
/// answer is never given a lag of 0, and says since when; nats-server 2.9
/// never marks a SIGKILLed peer offline, so a peer the meta leader has not
/// heard for `downAfterNanos` is down. nats-server keeps no term: the term
/// here counts the meta leaders this mapper has seen. Pure; remembers
/// servers, streams (a stream whose servers all vanished stays, leaderless)
/// and since when a problem holds.
public struct JetStreamMapper: Sendable {
    /// A peer the meta leader has not heard for this long is down.
    public var downAfterNanos: Int64 = 3_000_000_000
    /// Polls in a row a server must miss before it counts as down.
    public var unreachableAfter = 2
    private var misses: [String: Int] = [:]
    private var servers: [String: (tags: [String], version: String)] = [:]
    private var lastRole: [String: NodeRole] = [:]
    private var since: [String: (what: String, at: Timestamp)] = [:]
    /// Each stream's partition id, for as long as the stream lives (a
    /// deleted stream's id is never given again).
    private var streamIDs: [String: Int64] = [:]
    private var nextStreamID: Int64 = 0
    private var streamPeers: [String: [String]] = [:]
    private var table: [PartitionAssignment] = []
    private var version: Int64 = 0
    private var term: Int64 = 0
    private var lastMetaLeader: String?
    /// Streams whose leader lost its quorum (the advisory), until a leader is elected.
    private var quorumLost: Set<String> = []
    /// The streams of the last poll, by partition id: what a command on
    /// one acts on.
    public private(set) var streamsByPartition: [Int64: ObservedStream] = [:]
    /// Whether the source can send commands to the streams' account (its
    /// credentials, or an account view): `step_down` and `migrate` are
    /// then accepted, and moves shown as migrations.
    public var streamCommands = false

    public init() {}

    /// Every server's tags (`az:1`), as it last reported them; a server
    /// known only from others' views (it has not answered yet) is left out.
    public var serverTags: [String: [String]] { servers.filter { !$0.value.version.isEmpty }.mapValues(\.tags) }
    /// Servers known only from others' views: their tags are not known.
    public var unreportedServers: [String] { servers.filter { $0.value.version.isEmpty }.keys.sorted() }

    /// A `QUORUM_LOST` advisory: said on the cluster until the stream elects again.
    public mutating func quorumLost(stream: String) { quorumLost.insert(stream) }

    public mutating func cluster(_ o: JetStreamObservation, name: String, feed: String = "polling", at now: Timestamp) -> PolledCluster {
        let metaLeader = o.metaLeader
        if let metaLeader, metaLeader != lastMetaLeader {
            term += 1
            lastMetaLeader = metaLeader
        }
        let leaderReport = metaLeader.flatMap { o.reports[$0] }
        let metaPeers = Dictionary((leaderReport?.meta?.replicas ?? []).map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for r in o.reports.values { servers[r.name] = (r.tags, r.version) }
        for n in metaPeers.keys where servers[n] == nil { servers[n] = ([], "") }
        let observed = o.streams
        for s in observed { for p in s.stream.group?.peers ?? [] where servers[p] == nil { servers[p] = ([], "") } }
        if o.systemView {
            for server in servers.keys { misses[server] = o.reports[server] == nil ? (misses[server] ?? 0) + 1 : 0 }
        }
        // A leader named only by another server's view, and down: no leader
        // leads (an R1 stream's dead host, or an election not yet held).
        let streams = remember(observed, answered: Set(o.reports.keys), systemView: o.systemView).map { s in
            guard !s.fromLeader, let l = s.stream.group?.leader, isDown(l, reports: o.reports, metaPeer: metaPeers[l]) else { return s }
            var led = s
            led.stream.group?.leader = nil
            return led
        }
        for s in streams where s.stream.group?.leader != nil { quorumLost.remove(s.stream.name) }
        // A server the meta leader no longer counts among its peers, that
        // does not answer and holds no stream, was removed: it leaves.
        if leaderReport != nil {
            let named = Set(streams.flatMap { $0.stream.group?.peers ?? [] })
            for server in Array(servers.keys)
            where o.reports[server] == nil && metaPeers[server] == nil && server != metaLeader && !named.contains(server) {
                servers[server] = nil
                misses[server] = nil
                lastRole[server] = nil
                since[server] = nil
            }
        }
        quorumLost = quorumLost.filter { name in streams.contains { $0.stream.name == name } }

        var nodes: [NodeInfo] = []
        var answering = 0
        for server in servers.keys.sorted(by: naturalLess) {
            let node: NodeInfo
            if !o.systemView {
                node = accountViewNode(server, metaLeader: nil, streams: streams)
            } else if let report = o.reports[server] {
                answering += 1
                node = answered(report, metaLeader: metaLeader, metaPeer: metaPeers[server], health: o.health[server], streams: streams, at: now)
            } else {
                node = silent(server, metaLeader: metaLeader, metaPeer: metaPeers[server], at: now)
            }
            lastRole[server] = node.role
            nodes.append(node)
        }
        let size = max(o.reports.values.compactMap(\.clusterSize).max() ?? 0, o.systemView ? servers.count : 0)
        let problems = clusterProblems(o, metaLeader: metaLeader, streams: streams)
        let info = EngineClusterInfo(
            name: JetStreamRules.name.rawValue, version: servers.values.map(\.version).filter { !$0.isEmpty }.max(),
            lagUnit: JetStreamRules.lagUnit, feed: feed,
            accepts: (o.systemView ? ["promote"] : []) + (streamCommands ? ["step_down", "migrate"] : []),
            provides: ["roles", "lag", "assignments"] + (streamCommands ? ["migrations"] : []),
            state: problems.isEmpty ? nil : problems.joined(separator: "; "),
            quorum: o.systemView ? Int64(size / 2 + 1) : nil, witnesses: o.systemView ? Int64(answering) : nil,
            sentinels: o.systemView ? Int64(size) : nil)
        let partitions = assignment(streams)
        if partitions != table {
            table = partitions
            version += 1
        }
        return PolledCluster(
            name: name, term: term, nodes: nodes, engine: info, causeHint: o.causeHint,
            assignment: AssignmentTable(version: version, strategy: .other("streams"), partitions: partitions))
    }

    /// Down: it did not answer for `unreachableAfter` polls, or the meta
    /// leader has not heard it for `downAfterNanos`, or it shut down.
    func isDown(_ server: String, reports: [String: JetStreamServerReport], metaPeer: JetStreamPeer?) -> Bool {
        guard reports[server] == nil else { return false }
        if let p = metaPeer, p.offline || (p.activeNanos ?? 0) >= downAfterNanos { return true }
        return (misses[server] ?? 0) >= unreachableAfter
    }

    /// The streams seen now, and those seen before that no server reports
    /// while one of their servers does not answer (an R1 stream on a dead
    /// server vanishes from every report): kept, leaderless. A stream all
    /// of whose servers answer without it was deleted.
    mutating func remember(_ observed: [ObservedStream], answered: Set<String>, systemView: Bool) -> [ObservedStream] {
        var out = observed
        let seen = Set(observed.map(\.stream.qualifiedName))
        for s in observed { streamPeers[s.stream.qualifiedName] = s.stream.group?.peers ?? [] }
        guard systemView else {
            streamPeers = streamPeers.filter { seen.contains($0.key) }
            streamIDs = streamIDs.filter { seen.contains($0.key) }
            return out
        }
        for (key, peers) in streamPeers where !seen.contains(key) {
            if !peers.isEmpty, peers.allSatisfy(answered.contains) {
                streamPeers[key] = nil
                streamIDs[key] = nil
                continue
            }
            let parts = key.components(separatedBy: " > ")
            let (account, name) = parts.count == 2 ? (parts[0], parts[1]) : ("", key)
            let group = JetStreamGroup(leader: nil, replicas: peers.map { JetStreamPeer(name: $0, current: false) })
            out.append(ObservedStream(JetStreamStream(account: account, name: name, group: group), fromLeader: false))
        }
        return out.sorted { $0.stream.qualifiedName < $1.stream.qualifiedName }
    }

    mutating func answered(
        _ r: JetStreamServerReport, metaLeader: String?, metaPeer: JetStreamPeer?, health: JetStreamHealth?, streams: [ObservedStream],
        at now: Timestamp
    ) -> NodeInfo {
        let isLeader = metaLeader == r.name
        var lag: Int64?
        var lagState: LagState?
        var state: String
        if isLeader {
            state = "running"
        } else if let metaPeer {
            lag = Int64(clamping: metaPeer.lag)
            lagState = .measured
            state = metaPeer.current ? "running" : "running, catching up"
            if let a = metaPeer.activeNanos, a >= downAfterNanos {
                state = stamped(r.name, key: "unheard", "answers, but the meta leader does not hear it", at: now)
            }
        } else {
            lagState = .unknown
            state = metaLeader == nil ? stamped(r.name, key: "no meta leader", "running, no meta leader", at: now) : "running"
        }
        var nodeHealth: NodeHealth = .healthy
        if let problem = health?.problem {
            state = stamped(r.name, key: "unhealthy", "unhealthy: \(problem)", at: now)
            nodeHealth = .degraded
        } else if state.hasPrefix("running") && !state.contains("no meta leader") {
            since[r.name] = nil
        }
        var engine = EngineNodeInfo(
            role: isLeader ? "meta leader" : "follower", state: state, lagBytes: lag, lagState: lagState,
            tags: r.tags.map { JSONField($0, .bool(true)) } + [JSONField("version", .string(r.version))])
        engine.position = Self.position(r.name, streams: streams, stored: r.storageBytes)
        return NodeInfo(id: r.name, role: isLeader ? .primary : .replica, health: nodeHealth, term: term, managerState: .stable, engine: engine)
    }

    mutating func silent(_ server: String, metaLeader: String?, metaPeer: JetStreamPeer?, at now: Timestamp) -> NodeInfo {
        let missed = misses[server] ?? 1
        let role: NodeRole =
            metaLeader == server ? .primary : lastRole[server] == .primary && metaLeader != nil ? .replica : lastRole[server] ?? .replica
        var health: NodeHealth = missed >= unreachableAfter ? .unhealthy : .suspect
        var what = "no answer"
        var key = "unreachable"
        if let p = metaPeer {
            if p.offline {
                (what, key, health) = ("shut down", "offline", .unhealthy)
            } else if let a = p.activeNanos, a >= downAfterNanos {
                what = "no answer; the meta leader lost it too"
                health = .unhealthy
            }
        }
        let known = servers[server]
        var engine = EngineNodeInfo(
            role: role == .primary ? "meta leader" : "follower", state: stamped(server, key: key, what, at: now), lagState: .unknown,
            tags: (known?.tags ?? []).map { JSONField($0, .bool(true)) })
        if role == .primary { engine.lagState = nil }
        return NodeInfo(id: server, role: role, health: health, term: term, managerState: .stable, engine: engine)
    }

    /// Without system-account rights only the account's streams are seen:
    /// a server is known by the streams it holds, its health is not.
    func accountViewNode(_ server: String, metaLeader: String?, streams: [ObservedStream]) -> NodeInfo {
        var engine = EngineNodeInfo(role: "server", state: "seen in stream info (no system-account rights)")
        engine.position = Self.position(server, streams: streams, stored: nil)
        return NodeInfo(id: server, role: .unknown, health: .healthy, term: term, managerState: .stable, engine: engine)
    }

    /// What the server leads and follows, and how far behind it is in the
    /// worst stream (the stream leader's own figure).
    static func position(_ server: String, streams: [ObservedStream], stored: Int64?) -> String {
        var led = 0
        var follows = 0
        var worst: (name: String, lag: UInt64)?
        for s in streams {
            guard let g = s.stream.group else { continue }
            if g.leader == server {
                led += 1
            } else if g.peers.contains(server) {
                follows += 1
                if s.fromLeader, let p = g.replicas.first(where: { $0.name == server }), p.lag > (worst?.lag ?? 0) {
                    worst = (s.stream.name, p.lag)
                }
            }
        }
        var parts = ["leads \(led), follows \(follows) streams"]
        if let worst { parts.append("\(worst.name) \(formatLagCount(Int64(clamping: worst.lag), unit: JetStreamRules.lagUnit)) behind") }
        if let stored { parts.append("\(formatBytes(stored)) stored") }
        return parts.joined(separator: ", ")
    }

    /// Each stream a partition: its leader the worker (none: orphaned), a
    /// stable id per stream for as long as it lives.
    mutating func assignment(_ streams: [ObservedStream]) -> [PartitionAssignment] {
        let accounts = Set(streams.map(\.stream.account))
        streamsByPartition = [:]
        return streams.map { s in
            let key = s.stream.qualifiedName
            let id: Int64
            if let known = streamIDs[key] {
                id = known
            } else {
                id = nextStreamID
                nextStreamID += 1
                streamIDs[key] = id
            }
            streamsByPartition[id] = s
            return PartitionAssignment(id: id, worker: s.stream.group?.leader, name: accounts.count > 1 ? key : s.stream.name)
        }
    }

    /// The cluster-wide problems, worst first.
    func clusterProblems(_ o: JetStreamObservation, metaLeader: String?, streams: [ObservedStream]) -> [String] {
        var out: [String] = []
        if o.systemView, metaLeader == nil, !o.reports.isEmpty { out.append("no meta leader") }
        let leaderless =
            streams.filter { $0.stream.group != nil && $0.stream.group?.leader == nil }.map(\.stream.name)
            + o.unansweredStreams
        if !leaderless.isEmpty { out.append("no leader: " + Self.list(leaderless)) }
        let lost = streams.filter { s in
            guard s.fromLeader, let g = s.stream.group, let n = s.stream.numReplicas, n > 1 else { return quorumLost.contains(s.stream.name) }
            let alive = 1 + g.replicas.filter { !$0.offline && ($0.activeNanos ?? 0) < downAfterNanos }.count
            return alive < n / 2 + 1 || quorumLost.contains(s.stream.name)
        }.map(\.stream.name)
        if !lost.isEmpty { out.append("quorum lost: " + Self.list(lost)) }
        let under = streams.compactMap { s -> String? in
            guard s.fromLeader, let n = s.stream.numReplicas, let g = s.stream.group, g.peers.count < n else { return nil }
            return "\(s.stream.name) (\(g.peers.count) of \(n) peers)"
        }
        if !under.isEmpty { out.append("under-replicated: " + Self.list(under)) }
        if !o.systemView { out.append("account view: no system-account rights (servers' health and the meta group unseen)") }
        return out
    }

    static func list(_ items: [String]) -> String {
        items.prefix(4).joined(separator: ", ") + (items.count > 4 ? " and \(items.count - 4) more" : "")
    }

    /// The problem's words with when it began: kept while `key` stays the same.
    mutating func stamped(_ server: String, key: String, _ what: String, at now: Timestamp) -> String {
        if let s = since[server], s.what == key { return "\(what) (since \(s.at.clockTime))" }
        since[server] = (key, now)
        return "\(what) (since \(now.clockTime))"
    }
}
