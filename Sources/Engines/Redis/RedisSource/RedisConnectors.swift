import EngineKit
import EventSources
import Foundation
import Logging

/// Redis Cluster's connector: its settings (from the config or
/// `--redis-cluster`) into a `RedisClusterSource`.
public struct RedisClusterConnector: EngineConnector {
    public init() {}

    public var engine: EngineName { RedisClusterRules.name }

    public func connect(_ settings: any EngineSettings, logger: Logger) throws -> ConnectedEngine {
        guard let s = settings as? RedisClusterSettings else {
            throw EngineSetupError("\(settings.engine) settings given to the Redis Cluster connector")
        }
        var config = RedisClusterConfig(seeds: s.seeds, readOnly: s.readOnly)
        if let name = s.name { config.name = name }
        config.migrateBatch = s.migrateBatch
        config.migratePause = .milliseconds(s.migratePauseMillis)
        if let variable = s.authEnv { config.auth = try RedisCredentials.auth(from: variable) }
        let source = RedisClusterSource(config: config, clock: wallClockNow, logger: logger)
        var warnings: [String] = []
        let remote = config.seeds.filter { RedisAddress.split($0).map { !EndpointConfig.isLoopback($0.host) } ?? false }
        if config.auth != nil, !remote.isEmpty {
            warnings.append("Redis speaks plain TCP to a host that is not loopback: its password travels unencrypted")
        }
        return ConnectedEngine(source: source, commands: s.readOnly ? nil : source, warnings: warnings, what: "Redis Cluster")
    }
}

/// Redis Sentinel's connector: its settings (from the config or
/// `--sentinel … --master`) into a `RedisSentinelSource`.
public struct SentinelConnector: EngineConnector {
    public init() {}

    public var engine: EngineName { SentinelRules.name }

    public func connect(_ settings: any EngineSettings, logger: Logger) throws -> ConnectedEngine {
        guard let s = settings as? SentinelSettings else {
            throw EngineSetupError("\(settings.engine) settings given to the Redis Sentinel connector")
        }
        var config = RedisSentinelConfig(sentinels: s.sentinels, master: s.master, readOnly: s.readOnly)
        if let variable = s.authEnv { config.auth = try RedisCredentials.auth(from: variable) }
        let source = RedisSentinelSource(config: config, clock: wallClockNow, logger: logger)
        return ConnectedEngine(source: source, commands: s.readOnly ? nil : source, what: "Redis Sentinel (\(s.master))")
    }
}

/// Redis credentials from an environment variable: `password` or
/// `user:password`. The value is never printed or logged.
public enum RedisCredentials {
    public static func auth(from variable: String) throws -> RedisAuth {
        let value = try EnvironmentCredentials.value(of: variable, for: "Redis", environment: ProcessInfo.processInfo.environment)
        guard let auth = RedisAuth(credentials: value) else {
            throw EngineSetupError("Redis credentials: \(variable) must hold password or user:password")
        }
        return auth
    }
}
