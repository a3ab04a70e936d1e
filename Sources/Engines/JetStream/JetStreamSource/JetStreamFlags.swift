import ArgumentParser
import EngineKit
import Foundation
import JetStreamRules

/// The flags that name a NATS JetStream cluster to watch (the dashboard's,
/// the gateway's and `tail`'s). `--nats` is the stream transport; this is
/// NATS itself, watched as a cluster.
public struct JetStreamFlags: ParsableArguments, EngineFlags {
    @Option(
        name: .customLong("nats-cluster"),
        help:
            "A NATS server's URL (nats://host:4222) to watch JetStream itself; repeat for several. Credentials of the system account from CLUSTERDASH_NATS_USER/_PASSWORD or --nats-auth-env."
    )
    public var urls: [String] = []

    @Option(
        name: .customLong("nats-auth-env"),
        help: "Environment variable holding the system account's user:password (or a token). Never printed or logged.")
    public var authEnv: String?

    @Option(
        name: .customLong("nats-stream-auth-env"),
        help:
            "Environment variable holding user:password (or a token) of the streams' account, for stepping a stream's leader down and moving a stream (JetStream's API answers per account). Never printed or logged."
    )
    public var streamAuthEnv: String?

    public init() {}

    public var named: [String] { urls.isEmpty ? [] : ["--nats-cluster"] }
    public var usage: [String] { ["--nats-cluster URL"] }

    /// The servers, checked; nil without --nats-cluster.
    public func settings() throws -> (any EngineSettings)? {
        guard !urls.isEmpty else {
            if authEnv != nil { throw ValidationError("--nats-auth-env goes with --nats-cluster") }
            if streamAuthEnv != nil { throw ValidationError("--nats-stream-auth-env goes with --nats-cluster") }
            return nil
        }
        for url in urls {
            if let why = JetStreamSettings.problem(url) { throw ValidationError("--nats-cluster: \(why)") }
        }
        var s = JetStreamSettings(urls: urls)
        s.authEnv = authEnv
        s.streamAuthEnv = streamAuthEnv
        return s
    }

    /// `--nats-auth-env` and `--nats-stream-auth-env` for a configured NATS cluster.
    public func refine(_ settings: inout any EngineSettings) throws {
        guard var s = settings as? JetStreamSettings else { return }
        if let authEnv { s.authEnv = authEnv }
        if let streamAuthEnv { s.streamAuthEnv = streamAuthEnv }
        settings = s
    }
}
