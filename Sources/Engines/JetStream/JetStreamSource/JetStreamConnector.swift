import EngineKit
import EventSources
import Foundation
import JetStreamRules
import Logging
import NATSClient

/// NATS JetStream's connector: its settings (from the config or
/// `--nats-cluster`) into a `JetStreamSource`.
public struct JetStreamConnector: EngineConnector {
    public init() {}

    public var engine: EngineName { JetStreamRules.name }

    public func connect(_ settings: any EngineSettings, logger: Logger) throws -> ConnectedEngine {
        guard let s = settings as? JetStreamSettings else { throw EngineSetupError("\(settings.engine) settings given to the nats connector") }
        let servers: [NATSAddress]
        do {
            servers = try s.urls.map { url throws(NATSError) in try NATSAddress(url: url) }
        } catch {
            throw EngineSetupError(error.description)
        }
        let env = ProcessInfo.processInfo.environment
        let credentials =
            try EnvironmentCredentials.value(ofNamed: s.authEnv, for: "NATS", environment: env).map(NATSCredentials.init(authValue:))
            ?? NATSCredentials.fromEnvironment(env)
        var config = JetStreamSourceConfig(servers: servers, credentials: credentials, readOnly: s.readOnly)
        config.streamCredentials = try EnvironmentCredentials.value(ofNamed: s.streamAuthEnv, for: "NATS stream account", environment: env)
            .map(NATSCredentials.init(authValue:))
        let source = JetStreamSource(config: config, clock: wallClockNow, logger: logger)
        var warnings: [String] = []
        if credentials.isEmpty {
            warnings.append(
                "no NATS credentials (CLUSTERDASH_NATS_USER/_PASSWORD or auth_env): without the system account only one account's streams are seen")
        }
        if !credentials.isEmpty, servers.contains(where: { !EndpointConfig.isLoopback($0.host) }) {
            warnings.append("nats:// to a host that is not loopback: the password travels unencrypted")
        }
        return ConnectedEngine(source: source, commands: s.readOnly ? nil : source, warnings: warnings, what: "NATS JetStream")
    }
}
