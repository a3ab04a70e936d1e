import EngineKit
import EventSources
import Foundation
import Logging
import NATSClient
import PartiRules

/// Parti's connector: its settings (from the config or `--parti`) into a
/// read-only `PartiSource`.
public struct PartiConnector: EngineConnector {
    public init() {}

    public var engine: EngineName { PartiRules.name }

    public func connect(_ settings: any EngineSettings, logger: Logger) throws -> ConnectedEngine {
        guard let s = settings as? PartiSettings else { throw EngineSetupError("\(settings.engine) settings given to the parti connector") }
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
        let source = PartiSource(
            config: PartiSourceConfig(servers: servers, credentials: credentials, bucketPrefix: s.bucketPrefix), clock: wallClockNow,
            logger: logger)
        // Read-only by nature: the source refuses every command itself.
        return ConnectedEngine(source: source, commands: source, warnings: [], what: "Parti")
    }
}
