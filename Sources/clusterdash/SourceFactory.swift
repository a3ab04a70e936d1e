import ClusterState
import EventSources
import Foundation
import Logging
import NATSClient
import NATSStream
import PatroniSource
import ProtocolV1Source
import RedisSource

/// The one place a dashboard's source is chosen from the endpoints the
/// config or flags name: an engine plugs in here by its URL scheme
/// (`ws://` and `wss://`: protocol v1; `nats://` and `nats+ws://`: the same
/// stream carried by NATS JetStream). Recording wraps whichever it is.
enum SourceFactory {
    struct Made {
        var source: any EventSource
        /// Nil when the source accepts no command (or the dashboard is read-only).
        var commands: (any CommandSink)?
        /// What the operator should know before trusting the connection.
        var warnings: [String] = []
    }

    static let schemes = ["ws", "wss"] + NATSAddress.schemes

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
        _ endpoints: [EndpointConfig], record: String?, readOnly: Bool, natsCredentials: NATSCredentials? = nil, logger: Logger
    ) throws -> Made {
        for e in endpoints {
            let scheme = URLComponents(string: e.url)?.scheme ?? ""
            guard schemes.contains(scheme) else {
                throw ValidationFailure(
                    "\(e.displayName): no source speaks \(scheme.isEmpty ? "this URL" : "\(scheme)://") (have: \(schemes.map { "\($0)://" }.joined(separator: ", ")))"
                )
            }
        }
        let nats = endpoints.filter { NATSAddress.schemes.contains(URLComponents(string: $0.url)?.scheme ?? "") }
        if !nats.isEmpty {
            guard nats.count == endpoints.count else {
                throw ValidationFailure("give NATS servers or protocol-v1 WebSocket endpoints, not both")
            }
            return try make(nats: nats.map(\.url), record: record, readOnly: readOnly, credentials: natsCredentials, logger: logger)
        }
        let ws = WebSocketSource(endpoints: endpoints, clock: wallClockNow, logger: logger)
        let commands: (any CommandSink)? = readOnly || ws.provides.isDisjoint(with: .commands) ? nil : ws
        let source: any EventSource = try record.map { RecordedSource(ws, recorder: try Recorder(path: $0)) } ?? ws
        return Made(source: source, commands: commands, warnings: warnings(endpoints))
    }

    /// The stream read from NATS JetStream (`nats://HOST:PORT[/CLUSTER]`, repeatable).
    /// Credentials: `credentials` (a config's `auth_env`), else CLUSTERDASH_NATS_USER/_PASSWORD or _TOKEN.
    static func make(nats urls: [String], record: String?, readOnly: Bool, credentials: NATSCredentials?, logger: Logger) throws -> Made {
        let servers: [NATSAddress]
        do {
            servers = try urls.map { url throws(NATSError) in try NATSAddress(url: url) }
        } catch {
            throw ValidationFailure(error.description)
        }
        let named = Set(servers.compactMap(\.cluster))
        guard named.count <= 1 else { throw ValidationFailure("the NATS URLs name different clusters: \(named.sorted().joined(separator: ", "))") }
        if let name = named.first, ClusterSubjects(cluster: name) == nil {
            throw ValidationFailure("\(name) is not a cluster name (1-64 letters, digits, - and _)")
        }
        var config = NATSSourceConfig(servers: servers)
        config.credentials = credentials ?? NATSCredentials.fromEnvironment()
        config.readOnly = readOnly
        let n = NATSSource(config: config, clock: wallClockNow, logger: logger)
        let source: any EventSource = try record.map { RecordedSource(n, recorder: try Recorder(path: $0)) } ?? n
        var warnings: [String] = []
        if servers.contains(where: { !EndpointConfig.isLoopback($0.host) }) {
            warnings.append("NATS without TLS to a host that is not loopback: its credentials and the events travel unencrypted")
        }
        return Made(source: source, commands: readOnly ? nil : n, warnings: warnings)
    }

    /// NATS credentials from the variable a config names (`auth_env`):
    /// `user:password`, or a token (no colon).
    static func natsCredentials(from variable: String) throws -> NATSCredentials {
        guard let value = ProcessInfo.processInfo.environment[variable], !value.isEmpty else {
            throw ValidationFailure("NATS credentials: the environment variable \(variable) is not set")
        }
        guard let colon = value.firstIndex(of: ":") else { return NATSCredentials(token: value) }
        return NATSCredentials(user: String(value[..<colon]), password: String(value[value.index(after: colon)...]))
    }
}
