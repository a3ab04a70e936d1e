import ArgumentParser
import EngineKit
import Foundation

/// The flags that name a Patroni cluster (the dashboard's, the gateway's and `tail`'s).
public struct PatroniFlags: ParsableArguments, EngineFlags {
    @Option(
        name: .customLong("patroni"), help: "A Patroni member's REST API (http://host:8008); repeat for several. The others are found from /cluster.")
    public var patroni: [String] = []

    @Option(name: .customLong("etcd"), help: "etcd's HTTP gateway (http://host:2379) holding Patroni's keys: changes are pushed, not only polled.")
    public var etcd: [String] = []

    @Option(
        name: .customLong("patroni-auth-env"), help: "Environment variable holding user:password for Patroni's REST API. Never printed or logged.")
    public var patroniAuthEnv: String?

    public init() {}

    public var named: [String] { patroni.isEmpty ? [] : ["--patroni"] }
    public var usage: [String] { ["--patroni URL"] }

    /// The members and etcd, checked; nil without --patroni.
    public func settings() throws -> (any EngineSettings)? {
        guard !patroni.isEmpty else {
            if !etcd.isEmpty { throw ValidationError("--etcd goes with --patroni") }
            return nil
        }
        for (flag, urls) in [("--patroni", patroni), ("--etcd", etcd)] {
            for url in urls {
                guard let c = URLComponents(string: url), c.scheme == "http" || c.scheme == "https", c.host != nil else {
                    throw ValidationError("\(flag) must be an http:// or https:// URL, got \(url.contains("@") ? "a URL with credentials" : url)")
                }
            }
        }
        var s = PatroniSettings(urls: patroni, etcd: etcd)
        s.authEnv = patroniAuthEnv
        return s
    }

    /// `--patroni-auth-env` for a configured Patroni cluster.
    public func refine(_ settings: inout any EngineSettings) throws {
        if let patroniAuthEnv, settings.engine == PatroniRules.name { settings.authEnv = patroniAuthEnv }
    }
}
