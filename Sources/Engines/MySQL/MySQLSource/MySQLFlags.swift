import ArgumentParser
import EngineKit
import MySQLRules

/// The flags that name a MySQL/MariaDB replication topology (the
/// dashboard's, the gateway's and `tail`'s).
public struct MySQLFlags: ParsableArguments, EngineFlags {
    @Option(
        name: .customLong("mysql"),
        help: "A MySQL or MariaDB server, HOST:PORT; repeat for several. The others are found from replication.")
    public var servers: [String] = []

    @Option(
        name: .customLong("mysql-auth-env"),
        help: "Environment variable holding user:password the console logs in with. Never printed or logged.")
    public var authEnv: String?

    @Option(
        name: .customLong("mysql-repl-auth-env"),
        help: "Environment variable holding the replication user's user:password, to point servers at a new primary. Never printed or logged."
    )
    public var replicationAuthEnv: String?

    public init() {}

    public var named: [String] { servers.isEmpty ? [] : ["--mysql"] }
    public var usage: [String] { ["--mysql HOST:PORT"] }

    /// The servers, checked; nil without --mysql.
    public func settings() throws -> (any EngineSettings)? {
        guard !servers.isEmpty else {
            if authEnv != nil || replicationAuthEnv != nil { throw ValidationError("--mysql-auth-env and --mysql-repl-auth-env go with --mysql") }
            return nil
        }
        for a in servers where HostPort(a) == nil {
            throw ValidationError("--mysql takes HOST:PORT, got \(a.contains("@") ? "an address with credentials" : String(a.prefix(60)))")
        }
        var s = MySQLSettings(servers: servers)
        s.authEnv = authEnv
        s.replicationAuthEnv = replicationAuthEnv
        return s
    }

    /// The credentials' variables for a configured MySQL cluster.
    public func refine(_ settings: inout any EngineSettings) throws {
        guard var s = settings as? MySQLSettings else { return }
        if let authEnv { s.authEnv = authEnv }
        if let replicationAuthEnv { s.replicationAuthEnv = replicationAuthEnv }
        settings = s
    }
}
