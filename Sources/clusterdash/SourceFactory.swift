import ClusterState
import EventSources
import Foundation
import Logging
import PatroniSource
import ProtocolV1Source
import RedisSource

/// The one place a dashboard's source is chosen from the endpoints the
/// config or flags name: an engine plugs in here by its URL scheme (today
/// `ws://` and `wss://`, protocol v1). Recording wraps whichever it is.
enum SourceFactory {
    struct Made {
        var source: any EventSource
        /// Nil when the source accepts no command (or the dashboard is read-only).
        var commands: (any CommandSink)?
        /// What the operator should know before trusting the connection.
        var warnings: [String] = []
    }

    static let schemes = ["ws", "wss"]

    static func warnings(_ endpoints: [EndpointConfig]) -> [String] {
        endpoints.compactMap(\.cleartextWarning)
    }

    /// A Patroni cluster (`--patroni`, or `engine = "patroni"` in the config).
    static func make(patroni config: PatroniSourceConfig, record: String?, logger: Logger) throws -> Made {
        let p = PatroniSource(config: config, clock: wallClockNow, logger: logger)
        let commands: (any CommandSink)? = config.readOnly ? nil : p
        let source: any EventSource = try record.map { RecordedSource(p, recorder: try Recorder(path: $0)) } ?? p
        var warnings: [String] = []
        let plain = (config.urls + config.etcd).filter { url in
            guard let c = URLComponents(string: url), c.scheme == "http", let host = c.host else { return false }
            return !EndpointConfig.isLoopback(host)
        }
        if config.auth != nil, !plain.isEmpty {
            warnings.append("plain http:// to a host that is not loopback: Patroni's password travels unencrypted (use https://)")
        }
        return Made(source: source, commands: commands, warnings: warnings)
    }

    /// A Redis Cluster (`--redis-cluster`, or `engine = "redis-cluster"` in the config).
    static func make(redis config: RedisClusterConfig, record: String?, logger: Logger) throws -> Made {
        let r = RedisClusterSource(config: config, clock: wallClockNow, logger: logger)
        let commands: (any CommandSink)? = config.readOnly ? nil : r
        let source: any EventSource = try record.map { RecordedSource(r, recorder: try Recorder(path: $0)) } ?? r
        var warnings: [String] = []
        let remote = config.seeds.filter { RedisClusterConfig.hostPort($0).map { !EndpointConfig.isLoopback($0.host) } ?? false }
        if config.auth != nil, !remote.isEmpty {
            warnings.append("Redis speaks plain TCP to a host that is not loopback: its password travels unencrypted")
        }
        return Made(source: source, commands: commands, warnings: warnings)
    }

    /// Redis Sentinel (`--sentinel … --master NAME`, or `engine = "redis-sentinel"`).
    static func make(sentinel config: RedisSentinelConfig, record: String?, logger: Logger) throws -> Made {
        let r = RedisSentinelSource(config: config, clock: wallClockNow, logger: logger)
        let commands: (any CommandSink)? = config.readOnly ? nil : r
        let source: any EventSource = try record.map { RecordedSource(r, recorder: try Recorder(path: $0)) } ?? r
        return Made(source: source, commands: commands, warnings: [])
    }

    static func make(
        _ endpoints: [EndpointConfig], record: String?, readOnly: Bool, logger: Logger
    ) throws -> Made {
        for e in endpoints {
            let scheme = URLComponents(string: e.url)?.scheme ?? ""
            guard schemes.contains(scheme) else {
                throw ValidationFailure(
                    "\(e.displayName): no source speaks \(scheme.isEmpty ? "this URL" : "\(scheme)://") (have: \(schemes.map { "\($0)://" }.joined(separator: ", ")))"
                )
            }
        }
        let ws = WebSocketSource(endpoints: endpoints, clock: wallClockNow, logger: logger)
        let commands: (any CommandSink)? = readOnly || ws.provides.isDisjoint(with: .commands) ? nil : ws
        let source: any EventSource = try record.map { RecordedSource(ws, recorder: try Recorder(path: $0)) } ?? ws
        return Made(source: source, commands: commands, warnings: warnings(endpoints))
    }
}
