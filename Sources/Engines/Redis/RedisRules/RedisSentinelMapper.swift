import ClusterProtocol
import ClusterState
import EventSources

/// What one poll of the sentinels gathered: each answering sentinel's
/// `SENTINEL MASTER <name>` and `SENTINEL REPLICAS <name>` (flat key/value
/// lists as text), and the master's own `INFO replication`.
public struct RedisSentinelObservation: Sendable {
    public struct SentinelView: Sendable, Hashable {
        public var master: [String: String]
        public var replicas: [[String: String]]

        public init(master: [String: String], replicas: [[String: String]]) {
            self.master = master
            self.replicas = replicas
        }

        /// `ip:port` of the master this sentinel names.
        public var masterAddress: String? {
            guard let ip = master["ip"], let port = master["port"] else { return nil }
            return "\(ip):\(port)"
        }
    }

    /// By sentinel address.
    public var views: [String: SentinelView] = [:]
    /// Sentinels that did not answer, with why.
    public var unreachable: [String: String] = [:]
    /// `INFO replication` of the master the sentinels name (nil: not reached).
    public var masterInfo: RedisInfo?
    public var version: String?
    /// Whether the sentinels' event feed (PSUBSCRIBE) is up.
    public var pushLive = false

    public init() {}
}

/// Maps Redis Sentinel onto the dashboard's words: the master and its
/// replicas are the nodes (named by address), their flags the health
/// (`o_down` unhealthy, `s_down` and `disconnected` suspect for the master;
/// a replica in `s_down` is never promoted: unhealthy), the config epoch
/// the term, bytes behind from the master's offsets. Every sentinel is
/// asked: the master most of them name is the one shown, and sentinels that
/// name another for `divergenceAfter` polls raise the divergence alarm. The
/// quorum and how many sentinels see the master up go in the engine object.
public struct RedisSentinelMapper: Sendable {
    public let name: String
    public var divergenceAfter = 3
    public var accepts: [String] = ["promote"]
    private var divergentPolls = 0
    /// The term shown: the master's config epoch, taken when the master
    /// changes (Sentinel bumps the epoch when a failover starts, before the
    /// switch), or when a higher epoch has held for `epochSettles` polls (a
    /// failover that was aborted).
    private var lastMaster: String?
    private var heldTerm: Int64 = 0
    private var higherFor = 0
    public var epochSettles = 20

    public init(name: String) { self.name = name }

    /// The master most sentinels name (ties: the first sentinel's).
    public static func agreedMaster(_ views: [String: RedisSentinelObservation.SentinelView]) -> String? {
        var votes: [String: Int] = [:]
        for v in views.values { if let a = v.masterAddress { votes[a, default: 0] += 1 } }
        let best = votes.values.max() ?? 0
        return views.keys.sorted(by: naturalLess).compactMap { views[$0]?.masterAddress }.first { votes[$0] == best }
    }

    public mutating func cluster(_ o: RedisSentinelObservation) -> PolledCluster {
        let order = o.views.keys.sorted(by: naturalLess)
        let master = Self.agreedMaster(o.views)
        let reference = order.compactMap { o.views[$0] }.first { $0.masterAddress == master }
        var disagreements: [String] = []
        let named = Dictionary(grouping: order, by: { o.views[$0]?.masterAddress ?? "none" })
        if named.count > 1 {
            disagreements.append(
                "the sentinels name different masters: "
                    + named.sorted { $0.key < $1.key }.map { "\($0.key) per \($0.value.joined(separator: ", "))" }.joined(separator: "; "))
        }
        divergentPolls = disagreements.isEmpty ? 0 : divergentPolls + 1

        var nodes: [NodeInfo] = []
        let epoch = reference?.master["config-epoch"].flatMap { Int64($0) } ?? 0
        if master != lastMaster || lastMaster == nil {
            heldTerm = epoch
            higherFor = 0
            lastMaster = master
        } else if epoch > heldTerm {
            higherFor += 1
            if higherFor >= epochSettles {
                heldTerm = epoch
                higherFor = 0
            }
        } else {
            higherFor = 0
        }
        let term = heldTerm
        if let reference, let master {
            let flags = Set((reference.master["flags"] ?? "").split(separator: ",").map(String.init))
            // How many answering sentinels see the master subjectively down.
            let sdownBy = order.filter { o.views[$0]?.masterAddress == master && (o.views[$0]?.master["flags"] ?? "").contains("s_down") }
            let health: NodeHealth
            let state: String
            if flags.contains("o_down") {
                health = .unhealthy
                state = "o_down"
            } else if flags.contains("s_down") || !sdownBy.isEmpty {
                health = .suspect
                state = "s_down (\(sdownBy.count) of \(order.count) sentinels)"
            } else if flags.contains("disconnected") {
                health = .suspect
                state = "disconnected"
            } else {
                health = .healthy
                state = "ok"
            }
            let tags: [JSONField] = [JSONField("run_id", .string(reference.master["runid"] ?? ""))].filter {
                if case .string(let s) = $0.value { return !s.isEmpty }
                return false
            }
            nodes.append(
                NodeInfo(
                    id: master, address: master, role: .primary, health: health, term: term,
                    engine: EngineNodeInfo(role: "master", state: state, tags: tags)))
            let top = o.masterInfo?.int("master_repl_offset")
            let links = o.masterInfo?.replicaLinks ?? []
            for r in reference.replicas {
                guard let ip = r["ip"], let port = r["port"] else { continue }
                let address = "\(ip):\(port)"
                let rflags = Set((r["flags"] ?? "").split(separator: ",").map(String.init))
                let link = r["master-link-status"] ?? "?"
                let rhealth: NodeHealth
                let rstate: String
                if rflags.contains("s_down") || rflags.contains("o_down") {
                    rhealth = .unhealthy
                    rstate = "s_down"
                } else if rflags.contains("disconnected") {
                    rhealth = .suspect
                    rstate = "disconnected"
                } else if link != "ok" {
                    rhealth = .degraded
                    rstate = "master link \(link)"
                } else {
                    rhealth = .healthy
                    rstate = "ok"
                }
                var lagBytes: Int64?
                var lagState: LagState = .unknown
                var ack: Int64?
                if let top, let l = links.first(where: { $0.address == address }) {
                    lagBytes = max(0, top - l.offset)
                    lagState = .measured
                    ack = l.ackSeconds * 1000
                }
                let priority = r["slave-priority"] ?? r["replica-priority"]
                var rtags: [JSONField] = []
                if let priority { rtags.append(JSONField("replica_priority", .int(Int64(priority) ?? 0))) }
                if priority == "0" { rtags.append(JSONField("nofailover", .bool(true))) }
                nodes.append(
                    NodeInfo(
                        id: address, address: address, role: .replica, health: rhealth, term: term,
                        engine: EngineNodeInfo(role: "replica", state: rstate, lagBytes: lagBytes, lagState: lagState, tags: rtags, ackAgeMillis: ack)
                    ))
            }
        }
        let quorum = reference?.master["quorum"].flatMap { Int64($0) }
        let known = reference?.master["num-other-sentinels"].flatMap { Int64($0) }.map { $0 + 1 }
        let witnesses = Int64(order.filter { o.views[$0]?.masterAddress == master && !(o.views[$0]?.master["flags"] ?? "").contains("s_down") }.count)
        let info = EngineClusterInfo(
            name: "redis-sentinel", version: o.version, lagUnit: "bytes", feed: o.pushLive ? "sentinel events" : "polling", accepts: accepts,
            provides: ["roles", "lag"], divergence: divergentPolls >= divergenceAfter ? disagreements : [], quorum: quorum, witnesses: witnesses,
            sentinels: max(known ?? 0, Int64(order.count + o.unreachable.count)))
        return PolledCluster(name: name, term: term, nodes: nodes, engine: info)
    }

    /// The replica Sentinel will most likely pick, from a poll's nodes
    /// (`SentinelChoice` holds the rule).
    public static func likelyChoice(_ nodes: [NodeInfo]) -> String? {
        SentinelChoice.likely(
            nodes.filter { $0.role == .replica }.map { n in
                SentinelChoice.Replica(
                    id: n.id, healthy: n.health == .healthy, priority: n.engine?.tag("replica_priority").flatMap { Int($0) },
                    lagBytes: n.engine?.lagBytes)
            })
    }
}
