import EngineKit
import EventSources
import Foundation
import Logging

/// Patroni's connector: its settings (from the config or `--patroni`)
/// into a `PatroniSource`.
public struct PatroniConnector: EngineConnector {
    public init() {}

    public var engine: EngineName { PatroniRules.name }

    public func connect(_ settings: any EngineSettings, logger: Logger) throws -> ConnectedEngine {
        guard let s = settings as? PatroniSettings else { throw EngineSetupError("\(settings.engine) settings given to the Patroni connector") }
        var config = PatroniSourceConfig(urls: s.urls, etcd: s.etcd, readOnly: s.readOnly)
        if let variable = s.authEnv { config.auth = try Self.auth(from: variable) }
        let source = PatroniSource(config: config, clock: wallClockNow, logger: logger)
        var warnings: [String] = []
        let plain = (config.urls + config.etcd).filter { url in
            guard let c = URLComponents(string: url), c.scheme == "http", let host = c.host else { return false }
            return !EndpointConfig.isLoopback(host)
        }
        if config.auth != nil, !plain.isEmpty {
            warnings.append("plain http:// to a host that is not loopback: Patroni's password travels unencrypted (use https://)")
        }
        return ConnectedEngine(source: source, commands: s.readOnly ? nil : source, warnings: warnings, what: "Patroni")
    }

    /// Patroni's REST credentials from the environment variable `variable`
    /// (user:password); the value is never printed or logged.
    public static func auth(from variable: String) throws -> PatroniAuth {
        let (user, password) = try EnvironmentCredentials.userPassword(
            of: variable, for: "Patroni", environment: ProcessInfo.processInfo.environment)
        return PatroniAuth(username: user, password: password)
    }
}
