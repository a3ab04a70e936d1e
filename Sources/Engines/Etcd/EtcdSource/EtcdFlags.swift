import ArgumentParser
import EngineKit
import EtcdRules
import Foundation

/// The flags that name an etcd cluster to watch (the dashboard's, the
/// gateway's and `tail`'s). `--etcd` is Patroni's store; this is etcd itself.
public struct EtcdFlags: ParsableArguments, EngineFlags {
    @Option(
        name: .customLong("etcd-cluster"),
        help: "An etcd member's client URL (http://host:2379) to watch etcd itself; repeat for several. The others are found from the member list.")
    public var urls: [String] = []

    @Option(name: .customLong("etcd-auth-env"), help: "Environment variable holding etcd's user:password. Never printed or logged.")
    public var authEnv: String?

    public init() {}

    public var named: [String] { urls.isEmpty ? [] : ["--etcd-cluster"] }
    public var usage: [String] { ["--etcd-cluster URL"] }

    /// The members, checked; nil without --etcd-cluster.
    public func settings() throws -> (any EngineSettings)? {
        guard !urls.isEmpty else {
            if authEnv != nil { throw ValidationError("--etcd-auth-env goes with --etcd-cluster") }
            return nil
        }
        for url in urls {
            guard let c = URLComponents(string: url), c.scheme == "http" || c.scheme == "https", c.host != nil else {
                throw ValidationError("--etcd-cluster must be an http:// or https:// URL, got \(url.contains("@") ? "a URL with credentials" : url)")
            }
        }
        var s = EtcdSettings(urls: urls)
        s.authEnv = authEnv
        return s
    }

    /// `--etcd-auth-env` for a configured etcd cluster.
    public func refine(_ settings: inout any EngineSettings) throws {
        if let authEnv, settings.engine == EtcdRules.name { settings.authEnv = authEnv }
    }
}
