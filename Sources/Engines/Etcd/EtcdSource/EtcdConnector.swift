import EngineKit
import EventSources
import Foundation
import Logging

/// etcd's connector: its settings (from the config or `--etcd-cluster`)
/// into an `EtcdSource`.
public struct EtcdConnector: EngineConnector {
    public init() {}

    public var engine: EngineName { EtcdRules.name }

    public func connect(_ settings: any EngineSettings, logger: Logger) throws -> ConnectedEngine {
        guard let s = settings as? EtcdSettings else { throw EngineSetupError("\(settings.engine) settings given to the etcd connector") }
        var config = EtcdSourceConfig(urls: s.urls, readOnly: s.readOnly)
        if let variable = s.authEnv {
            let (user, password) = try EnvironmentCredentials.userPassword(
                of: variable, for: "etcd", environment: ProcessInfo.processInfo.environment)
            config.auth = EtcdAuth(user: user, password: password)
        }
        let source = EtcdSource(config: config, clock: wallClockNow, logger: logger)
        var warnings: [String] = []
        let plain = s.urls.filter { url in
            guard let c = URLComponents(string: url), c.scheme == "http", let host = c.host else { return false }
            return !EndpointConfig.isLoopback(host)
        }
        if config.auth != nil, !plain.isEmpty {
            warnings.append("plain http:// to a host that is not loopback: etcd's password travels unencrypted (use https://)")
        }
        return ConnectedEngine(source: source, commands: s.readOnly ? nil : source, warnings: warnings, what: "etcd")
    }
}
