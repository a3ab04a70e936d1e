import ClusterProtocol
import ClusterState
import ClusterdashTesting
import EngineKit
import EventSources
import Foundation
import Logging
import ProtocolV1Server
import Synchronization
import Testing

@testable import MySQLSource

/// The replication of `scripts/mariadb-up` (started by `.ci/run`, which sets
/// CLUSTERDASH_MYSQL and the credentials' variables); without it the suite is skipped.
enum LiveMySQL {
    static let env = ProcessInfo.processInfo.environment
    /// `127.0.0.1:13306,127.0.0.1:13307,127.0.0.1:13308`.
    static var servers: [String] { (env["CLUSTERDASH_MYSQL"] ?? "").split(separator: ",").map(String.init) }
    static var dir: String { env["CLUSTERDASH_MARIADB_DIR"] ?? "/tmp/clusterdash-mariadb" }
    static func auth(_ variable: String) -> MySQLAuth? {
        guard let v = env[variable], let colon = v.firstIndex(of: ":") else { return nil }
        return MySQLAuth(user: String(v[..<colon]), password: String(v[v.index(after: colon)...]))
    }
    static var login: MySQLAuth? { auth("CLUSTERDASH_MYSQL_AUTH") }
    static var replication: MySQLAuth? { auth("CLUSTERDASH_MYSQL_REPL_AUTH") }
    static var enabled: Bool { !servers.isEmpty && login != nil }

    /// Statements on one connection of the test's own; the last one's rows.
    @discardableResult
    static func sql(_ address: String, _ statements: String...) async throws -> [MySQLRow] {
        let hp = try #require(HostPort(address))
        let c = try await MariaDBConnection.connect(
            host: hp.host, port: hp.port, user: login?.user, password: login?.password, connectTimeout: 2, readTimeout: 15)
        defer { c.close() }
        var rows: [MySQLRow] = []
        for s in statements { rows = try await c.query(s) }
        return rows
    }

    static func source(_ tweak: (inout MySQLSourceConfig) -> Void = { _ in }) -> MySQLSource {
        var config = MySQLSourceConfig(servers: [servers.first ?? ""], auth: login, replicationAuth: replication)
        tweak(&config)
        return MySQLSource(config: config, clock: wallClockNow, logger: quietLogger())
    }

    /// The server that replicates from nobody and is writable, by asking each.
    static func primary() async throws -> String {
        for s in servers {
            let replicating = try await sql(s, "SHOW SLAVE STATUS")
            let ro = try await sql(s, "SELECT @@read_only AS ro").first?["ro"]
            if replicating.isEmpty && ro == "0" { return s }
        }
        throw MySQLClientError(code: 0, message: "no primary among \(servers)")
    }

    /// Each server's own `SHOW SLAVE STATUS`, read.
    static func replicaStatus(_ s: String) async throws -> ReplicaStatus? {
        try await sql(s, "SHOW SLAVE STATUS").first.map { try ReplicaStatus.parse($0) }
    }

    /// A node's executed GTID position: the first word of its `position`.
    static func executed(_ e: EngineNodeInfo?) -> String? { e?.position?.split(separator: " ").first.map(String.init) }

    /// The directory of the server on `address` (m1 for 13306).
    static func serverDir(_ address: String) throws -> String {
        let port = try #require(HostPort(address)?.port)
        return "\(dir)/m\(port - 13305)"
    }
}
