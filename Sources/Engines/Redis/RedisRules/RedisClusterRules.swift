import ClusterProtocol
import ClusterState
import EngineKit

/// Redis Cluster's rules: the `CLUSTER FAILOVER` preview, its two ways
/// with the master down (FORCE, TAKEOVER), tenants as hash tags or slot
/// numbers, and its `[clusters.X]` keys.
public struct RedisClusterRules: EngineRules {
    public static let name: EngineName = "redis-cluster"

    public init() {}

    public var name: EngineName { Self.name }
    public var takes: String { "`redis` (host:port of its nodes)" }

    public func preview(candidate: String, in state: ClusterState, limits: PreviewLimits) -> PromotionVerdict {
        RedisPreview.evaluate(candidate: candidate, state: state, lagLimitBytes: limits.lagLimitBytes)
    }

    /// With the replica's master down, a failover is FORCE or TAKEOVER.
    public func promotionModes(candidate: String, in state: ClusterState) -> [PromotionMode] {
        guard Self.masterDown(of: candidate, in: state) else { return [] }
        return [
            PromotionMode(wire: "force", label: "FORCE", detail: "no handshake with the dead master; a majority of masters still vote"),
            PromotionMode(wire: "takeover", label: "TAKEOVER", detail: "no vote at all; only when most masters are down", dangerous: true),
        ]
    }

    public var promotionModesHelp: String? { "FORCE / TAKEOVER (Redis Cluster failover, master down)" }

    /// A shard whose master has no healthy replica: one more failure loses
    /// its slots. Asked for every alert refresh (each frame with news), so
    /// it walks the nodes once, and the slot table only when a shard is bare.
    public func redundancyLost(in state: ClusterState) -> [String] {
        let present = state.orderedNodes.filter(\.isPresent)
        var backed = Set<String>()
        for n in present where n.info.role == .replica && n.info.health == .healthy { backed.insert(n.info.engine?.shard ?? "") }
        let bare = present.filter { $0.info.role == .primary && !backed.contains($0.info.engine?.shard ?? "") }
        guard !bare.isEmpty else { return [] }
        var slots: [String: [Int64]] = [:]
        let ids = Set(bare.map(\.id))
        for p in state.assignment?.partitions ?? [] {
            if let w = p.worker, ids.contains(w) { slots[w, default: []].append(p.id) }
        }
        return bare.map { master in
            let shard = master.info.engine?.shard ?? ""
            let name = shard.isEmpty ? master.id : "shard \(shard) (\(master.id))"
            return "\(name) has no replica: one more failure loses \(Self.slotRanges(slots[master.id] ?? []))"
        }
    }

    /// Slot numbers as ranges: `slots 0-5460, 10923`.
    static func slotRanges(_ ids: [Int64]) -> String {
        let sorted = ids.sorted()
        guard var start = sorted.first else { return "its slots" }
        var ranges: [String] = []
        var last = start
        for id in sorted.dropFirst() {
            if id == last + 1 {
                last = id
                continue
            }
            ranges.append(start == last ? "\(start)" : "\(start)-\(last)")
            start = id
            last = id
        }
        ranges.append(start == last ? "\(start)" : "\(start)-\(last)")
        let shown = ranges.prefix(4).joined(separator: ", ") + (ranges.count > 4 ? " and \(ranges.count - 4) more ranges" : "")
        return "\(ids.count == 1 ? "slot" : "slots") \(shown)"
    }

    /// The replica's master is down (or it has none).
    static func masterDown(of candidate: String, in state: ClusterState) -> Bool {
        guard state.nodes[candidate]?.info.role == .replica else { return false }
        guard let master = state.primary(ofShardOf: candidate), master != candidate else { return true }
        return state.nodes[master]?.info.health == .unhealthy
    }

    public var typedTenants: TypedTenants? {
        TypedTenants(
            partition: { HashSlot.named(by: $0) }, what: "a hash tag or slot N", hint: "type a hash tag ({tenant-42}) or slot N",
            refusal: { "\($0) names no slot (slot numbers are 0-\(HashSlot.count - 1))" }, partitionWord: "slot", targetWord: "master",
            about: [
                "Keys of {tenant-42}:orders and {tenant-42}:users share",
                "one slot (CRC16 of the tag mod \(HashSlot.count)); moving the",
                "tenant moves that slot with every key in it.",
            ],
            whileMoving: "keys move in batches; clients get ASK meanwhile")
    }

    public var configKeys: [String] { ["redis", "auth_env"] }

    public func settings(from t: ClusterTable) throws(ConfigError) -> any EngineSettings {
        var s = RedisClusterSettings(seeds: try t.hostPorts("redis"))
        s.name = t.cluster
        s.authEnv = try t.string("auth_env")
        return s
    }
}

/// A Redis Cluster: one node or more (the rest are found from `CLUSTER NODES`).
public struct RedisClusterSettings: EngineSettings, Equatable {
    public var engine: EngineName { RedisClusterRules.name }
    /// `host:port` of the nodes given.
    public var seeds: [String]
    /// The cluster's name on screen (Redis gives a cluster none): the
    /// config's name for it, else the first node given.
    public var name: String?
    /// The variable holding Redis's `password` or `user:password`.
    public var authEnv: String?
    public var readOnly = false
    /// Keys per `MIGRATE` batch, and a pause between batches in milliseconds.
    public var migrateBatch = 100
    public var migratePauseMillis = 0

    public init(seeds: [String]) { self.seeds = seeds }
}
