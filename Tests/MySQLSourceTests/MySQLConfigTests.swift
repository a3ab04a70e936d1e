import ArgumentParser
import Dashboard
import EngineKit
import Testing

@testable import MySQLSource

/// `engine = "mysql"` in the config and `--mysql` on the command line:
/// what they take, and errors that name the file, line and field (or the flag).
@Suite struct MySQLConfigTests {
    func parse(_ toml: String) throws -> ConfigFile { try ConfigFile.parse(toml: toml, path: "/etc/cd.toml") }

    func error(_ toml: String) -> String? {
        do {
            _ = try parse(toml)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func aClusterOfServersWithItsVariablesAndTransactionLimits() throws {
        let file = try parse(
            """
            [clusters.db]
            engine = "mysql"
            mysql = ["127.0.0.1:13306", "db2.internal:3306"]
            auth_env = "DB_AUTH"
            repl_auth_env = "DB_REPL"
            lag_warn_transactions = 50
            promotion_lag_limit_transactions = 10
            read_only = true
            """)
        let c = try #require(file.clusters["db"])
        let s = try #require(c.settings as? MySQLSettings)
        #expect(s.servers == ["127.0.0.1:13306", "db2.internal:3306"])
        #expect(s.authEnv == "DB_AUTH" && s.replicationAuthEnv == "DB_REPL")
        #expect(s.readOnly)
        #expect(c.lagWarnTransactions == 50 && c.promotionLagLimitTransactions == 10)
    }

    @Test func badKeysAreErrorsThatNameTheirField() {
        let cases: [(String, String)] = [
            ("[clusters.db]\nengine = \"mysql\"\n", "/etc/cd.toml:1: clusters.db.mysql: missing"),
            ("[clusters.db]\nengine = \"mysql\"\nmysql = [\"db1\"]\n", "/etc/cd.toml:3: clusters.db.mysql[0]: not host:port: db1"),
            (
                "[clusters.db]\nengine = \"mysql\"\nmysql = [\"u:hunter2@db1:3306\"]\n",
                "/etc/cd.toml:3: clusters.db.mysql[0]: not host:port (an address with credentials)"
            ),
            (
                "[clusters.db]\nengine = \"mysql\"\nmysql = [\"a:1\"]\npatroni = [\"http://a:8008\"]\n",
                "/etc/cd.toml:4: clusters.db.patroni: engine mysql takes `mysql` (host:port of the servers), not patroni"
            ),
            (
                "[clusters.db]\nengine = \"mysql\"\nmysql = [\"a:1\"]\nlag_warn_transactions = \"many\"\n",
                "/etc/cd.toml:4: clusters.db.lag_warn_transactions: expected a whole number"
            ),
            (
                "[clusters.db]\nengine = \"mysql\"\nmysql = [\"a:1\"]\nlag_warn_transactions = 500\nlag_crit_transactions = 5\n",
                "/etc/cd.toml:4: clusters.db.lag_warn_transactions: the warning threshold is above lag_crit_transactions"
            ),
        ]
        for (toml, expected) in cases {
            let got = error(toml)
            #expect(got?.hasPrefix(expected) == true, "got: \(got ?? "no error")\nwanted: \(expected)")
        }
    }

    @Test func theFlagsNameTheirMistakes() throws {
        var f = try MySQLFlags.parse(["--mysql", "127.0.0.1:13306", "--mysql-auth-env", "A"])
        let s = try #require(try f.settings() as? MySQLSettings)
        #expect(s.servers == ["127.0.0.1:13306"] && s.authEnv == "A")
        f = try MySQLFlags.parse(["--mysql", "u:secret@db:3306"])
        #expect(throws: ValidationError.self) { try f.settings() }
        do {
            _ = try f.settings()
        } catch {
            #expect(!"\(error)".contains("secret"), "a credential given by mistake is never echoed")
        }
        f = try MySQLFlags.parse(["--mysql-auth-env", "A"])
        #expect(throws: ValidationError.self) { try f.settings() }
    }

    @Test func credentialsComeFromTheVariableAndAreNeverShown() throws {
        #expect(throws: EngineSetupError.self) {
            try MySQLConnector.auth(from: "CLUSTERDASH_NO_SUCH_VARIABLE_\(UInt32.random(in: 0...UInt32.max))", for: "MySQL")
        }
        let auth = MySQLAuth(user: "u", password: "hunter2")
        #expect(!"\(auth)".contains("hunter2"))
        #expect(!String(reflecting: auth).contains("hunter2"))
        var dumped = ""
        dump(MySQLSourceConfig(servers: ["db:3306"], auth: auth), to: &dumped)
        #expect(!dumped.contains("hunter2"), "dump shows the user alone")
    }
}
