import EngineKit
import EventSources
import Foundation
import Logging
import NATSClient
import NATSStreamSource
import ProtocolV1Source

/// Protocol v1's connector: a stream read from its WebSocket endpoints
/// (`ws://`, `wss://`) or from the NATS servers that carry it (`nats://`,
/// `nats+ws://`).
struct StreamConnector: EngineConnector {
    static let schemes = ["ws", "wss"] + NATSAddress.schemes

    var engine: EngineName { ProtocolV1Rules.name }

    func connect(_ settings: any EngineSettings, logger: Logger) throws -> ConnectedEngine {
        guard let s = settings as? StreamSettings else { throw EngineSetupError("\(settings.engine) settings given to the protocol-v1 connector") }
        let env = ProcessInfo.processInfo.environment
        let token = s.token?.value ?? s.tokenEnv.flatMap { env[$0] } ?? env["CLUSTERDASH_TOKEN"]
        let endpoints = s.endpoints.map { EndpointConfig(url: $0, token: token, caFile: s.caFile, tlsServerName: s.tlsServerName) }
        for e in endpoints {
            let scheme = URLComponents(string: e.url)?.scheme ?? ""
            guard Self.schemes.contains(scheme) else {
                throw EngineSetupError(
                    "\(e.displayName): no source speaks \(scheme.isEmpty ? "this URL" : "\(scheme)://") (have: \(Self.schemes.map { "\($0)://" }.joined(separator: ", ")))"
                )
            }
        }
        let nats = endpoints.filter { NATSAddress.schemes.contains(URLComponents(string: $0.url)?.scheme ?? "") }
        if !nats.isEmpty {
            guard nats.count == endpoints.count else {
                throw EngineSetupError("give NATS servers or protocol-v1 WebSocket endpoints, not both")
            }
            return try connectNATS(nats.map(\.url), settings: s, logger: logger)
        }
        let ws = WebSocketSource(endpoints: endpoints, clock: wallClockNow, logger: logger)
        let commands: (any CommandSink)? = s.readOnly || ws.provides.isDisjoint(with: .commands) ? nil : ws
        return ConnectedEngine(source: ws, commands: commands, warnings: endpoints.compactMap(\.cleartextWarning), what: "protocol v1")
    }

    /// The stream read from NATS JetStream (`nats://HOST:PORT[/CLUSTER]`, repeatable).
    private func connectNATS(_ urls: [String], settings s: StreamSettings, logger: Logger) throws -> ConnectedEngine {
        let servers = try Self.natsServers(urls)
        let named = Set(servers.compactMap(\.cluster))
        guard named.count <= 1 else { throw EngineSetupError("the NATS URLs name different clusters: \(named.sorted().joined(separator: ", "))") }
        if let name = named.first, ClusterSubjects(cluster: name) == nil {
            throw EngineSetupError("\(name) is not a cluster name (1-64 letters, digits, - and _)")
        }
        var config = NATSSourceConfig(servers: servers)
        config.credentials = try Self.natsCredentials(s.authEnv)
        config.readOnly = s.readOnly
        let source = NATSSource(config: config, clock: wallClockNow, logger: logger)
        var warnings: [String] = []
        if servers.contains(where: { !EndpointConfig.isLoopback($0.host) }) {
            warnings.append("NATS without TLS to a host that is not loopback: its credentials and the events travel unencrypted")
        }
        return ConnectedEngine(source: source, commands: s.readOnly ? nil : source, warnings: warnings, what: "NATS JetStream")
    }

    static func natsServers(_ urls: [String]) throws -> [NATSAddress] {
        do {
            return try urls.map { url throws(NATSError) in try NATSAddress(url: url) }
        } catch {
            throw EngineSetupError(error.description)
        }
    }

    /// NATS credentials from the variable a config names (`auth_env`):
    /// `user:password`, or a token (no colon); else CLUSTERDASH_NATS_USER/_PASSWORD or _TOKEN.
    static func natsCredentials(_ variable: String?) throws -> NATSCredentials {
        let env = ProcessInfo.processInfo.environment
        guard let variable else { return NATSCredentials.fromEnvironment(env) }
        return NATSCredentials(authValue: try EnvironmentCredentials.value(of: variable, for: "NATS", environment: env))
    }
}
