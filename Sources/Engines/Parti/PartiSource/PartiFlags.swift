import ArgumentParser
import EngineKit
import PartiRules

/// The flags that name a Parti deployment to watch: the NATS servers
/// holding its buckets (the dashboard's, the gateway's and `tail`'s).
public struct PartiFlags: ParsableArguments, EngineFlags {
    @Option(name: .customLong("parti"), help: "A NATS server holding Parti's KV buckets (nats://host:4222); repeat for several.")
    public var urls: [String] = []

    @Option(name: .customLong("parti-bucket-prefix"), help: "The prefix of Parti's buckets (default parti: parti-stableid, parti-election, …).")
    public var bucketPrefix: String?

    @Option(name: .customLong("parti-auth-env"), help: "Environment variable holding NATS's user:password (or a token). Never printed or logged.")
    public var authEnv: String?

    public init() {}

    public var named: [String] { urls.isEmpty ? [] : ["--parti"] }
    public var usage: [String] { ["--parti URL"] }

    public func settings() throws -> (any EngineSettings)? {
        guard !urls.isEmpty else {
            if authEnv != nil || bucketPrefix != nil { throw ValidationError("--parti-auth-env and --parti-bucket-prefix go with --parti") }
            return nil
        }
        for url in urls {
            if let why = PartiSettings.problem(url) { throw ValidationError("--parti: \(why)") }
        }
        var s = PartiSettings(urls: urls)
        if let bucketPrefix {
            if let why = PartiSettings.prefixProblem(bucketPrefix) { throw ValidationError("--parti-bucket-prefix: \(why)") }
            s.bucketPrefix = bucketPrefix
        }
        s.authEnv = authEnv
        return s
    }

    public func refine(_ settings: inout any EngineSettings) throws {
        guard var s = settings as? PartiSettings else { return }
        if let authEnv { s.authEnv = authEnv }
        if let bucketPrefix { s.bucketPrefix = bucketPrefix }
        settings = s
    }
}
