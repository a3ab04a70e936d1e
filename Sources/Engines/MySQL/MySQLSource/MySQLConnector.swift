import EngineKit
import EventSources
import Foundation
import Logging
import MySQLRules

/// MySQL's connector: its settings (from the config or `--mysql`) into a
/// `MySQLSource`.
public struct MySQLConnector: EngineConnector {
    public init() {}

    public var engine: EngineName { MySQLRules.name }

    public func connect(_ settings: any EngineSettings, logger: Logger) throws -> ConnectedEngine {
        guard let s = settings as? MySQLSettings else { throw EngineSetupError("\(settings.engine) settings given to the MySQL connector") }
        var config = MySQLSourceConfig(servers: s.servers, readOnly: s.readOnly)
        if let variable = s.authEnv { config.auth = try Self.auth(from: variable, for: "MySQL") }
        if let variable = s.replicationAuthEnv { config.replicationAuth = try Self.auth(from: variable, for: "MySQL replication") }
        let source = MySQLSource(config: config, clock: wallClockNow, logger: logger)
        var warnings: [String] = []
        let remote = s.servers.compactMap(HostPort.init).filter { !EndpointConfig.isLoopback($0.host) }
        if config.auth != nil, !remote.isEmpty {
            warnings.append("no TLS to a host that is not loopback: MySQL's login is hashed, but every answer travels in the clear")
        }
        if !s.readOnly, config.replicationAuth == nil {
            warnings.append("no --mysql-repl-auth-env: a switchover can point replicas that already replicate, not the old primary")
        }
        return ConnectedEngine(source: source, commands: s.readOnly ? nil : source, warnings: warnings, what: "MySQL replication")
    }

    /// `user:password` from the environment variable `variable`; never printed or logged.
    static func auth(from variable: String, for what: String) throws -> MySQLAuth {
        let (user, password) = try EnvironmentCredentials.userPassword(
            of: variable, for: what, environment: ProcessInfo.processInfo.environment)
        return MySQLAuth(user: user, password: password)
    }
}
