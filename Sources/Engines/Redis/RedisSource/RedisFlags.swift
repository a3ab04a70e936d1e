import ArgumentParser
import EngineKit

/// The flags that name a Redis Cluster or a Sentinel-watched master (the
/// dashboard's, the gateway's and `tail`'s); the credentials' variable is
/// both engines'.
public struct RedisFlags: ParsableArguments, EngineFlags {
    @Option(
        name: .customLong("redis-cluster"),
        help: "A Redis Cluster node, HOST:PORT; repeat for several. The other nodes are found from CLUSTER NODES.")
    public var nodes: [String] = []

    @Option(
        name: .customLong("redis-auth-env"),
        help: "Environment variable holding Redis's password (or user:password for an ACL user). Never printed or logged.")
    public var authEnv: String?

    @Option(name: .customLong("sentinel"), help: "A Redis Sentinel, HOST:PORT; repeat for each (every one is asked). Needs --master.")
    public var sentinels: [String] = []

    @Option(name: .customLong("master"), help: "The master's name the sentinels watch (sentinel monitor NAME …).")
    public var master: String?

    @Option(name: .customLong("migrate-batch"), help: "Keys per MIGRATE when moving a slot (default 100).")
    public var migrateBatch: Int = 100

    @Option(name: .customLong("migrate-pause"), help: "Pause between MIGRATE batches, in milliseconds, to spare a busy cluster (default 0).")
    public var migratePauseMillis: Int = 0

    public init() {}

    public var named: [String] { (nodes.isEmpty ? [] : ["--redis-cluster"]) + (sentinels.isEmpty ? [] : ["--sentinel"]) }
    public var usage: [String] { ["--redis-cluster HOST:PORT", "--sentinel HOST:PORT --master NAME"] }

    /// The Redis Cluster's nodes or the sentinels and the master's name,
    /// checked; nil without --redis-cluster or --sentinel.
    public func settings() throws -> (any EngineSettings)? {
        if !sentinels.isEmpty { return try sentinelSettings() }
        if master != nil { throw ValidationError("--master goes with --sentinel") }
        guard !nodes.isEmpty else {
            if authEnv != nil { throw ValidationError("--redis-auth-env goes with --redis-cluster or --sentinel") }
            return nil
        }
        try checkMigrateFlags()
        for a in nodes where RedisAddress.split(a) == nil {
            throw ValidationError("--redis-cluster takes HOST:PORT, got \(a.prefix(60))")
        }
        var s = RedisClusterSettings(seeds: nodes)
        s.authEnv = authEnv
        s.migrateBatch = migrateBatch
        s.migratePauseMillis = migratePauseMillis
        return s
    }

    private func sentinelSettings() throws -> SentinelSettings {
        guard let master, !master.isEmpty else { throw ValidationError("--sentinel needs --master NAME (the name the sentinels monitor)") }
        if !nodes.isEmpty { throw ValidationError("give --redis-cluster or --sentinel, not both") }
        for a in sentinels where RedisAddress.split(a) == nil {
            throw ValidationError("--sentinel takes HOST:PORT, got \(a.prefix(60))")
        }
        var s = SentinelSettings(sentinels: sentinels, master: master)
        s.authEnv = authEnv
        return s
    }

    private func checkMigrateFlags() throws {
        guard (1...10_000).contains(migrateBatch) else { throw ValidationError("--migrate-batch takes 1-10000 keys") }
        guard (0...60_000).contains(migratePauseMillis) else { throw ValidationError("--migrate-pause takes 0-60000 ms") }
    }

    /// `--redis-auth-env` and the MIGRATE pace for a configured Redis cluster.
    public func refine(_ settings: inout any EngineSettings) throws {
        guard settings.engine == RedisClusterRules.name || settings.engine == SentinelRules.name else { return }
        if let authEnv { settings.authEnv = authEnv }
        if var s = settings as? RedisClusterSettings {
            try checkMigrateFlags()
            s.migrateBatch = migrateBatch
            s.migratePauseMillis = migratePauseMillis
            settings = s
        }
    }
}
