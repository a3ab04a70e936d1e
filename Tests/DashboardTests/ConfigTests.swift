import ClusterProtocol
import ClusterSim
import ClusterState
import ClusterdashTesting
import Dashboard
import EngineKit
import EventSources
import Foundation
import RenderCore
import Testing

@Suite struct ConfigTests {
    @Test func clustersThresholdsAndKeys() throws {
        let config = try ConfigFile.parse(
            toml: """
                default_cluster = "prod"
                theme = "light"
                [clusters.prod]
                endpoints = ["wss://a:7400/v1/stream", "wss://b:7400/v1/stream"]
                token_env = "PROD_TOKEN"
                lag_warn = "20s"
                lag_crit = "1m"
                [keys]
                promote = "P"
                quit = ["Q", "Ctrl-c"]
                """)
        #expect(config.defaultCluster == "prod")
        #expect(config.theme == "light")
        let prod = try #require(config.clusters["prod"])
        let stream = try #require(prod.settings as? StreamSettings)
        #expect(prod.engine == ProtocolV1Rules.name)
        #expect(stream.endpoints.count == 2)
        #expect(stream.tokenEnv == "PROD_TOKEN")
        #expect(prod.lagWarnMillis == 20_000)
        #expect(prod.lagCritMillis == 60_000)
        let map = Keymap().overriding(config.keys)
        #expect(map.action(for: .char("P"), in: .normal) == .promote)
        #expect(map.action(for: .char("p"), in: .normal) == nil)
        #expect(map.action(for: .char("Q"), in: .normal) == .quit)
        #expect(map.action(for: .char("q"), in: .normal) == nil)
        #expect(map.conflicts.isEmpty)
    }

    @Test func aKeyTakenByAnOverrideLeavesItsOldAction() {
        let map = Keymap().overriding([.snapshot: [.char("p")]])
        #expect(map.action(for: .char("p"), in: .normal) == .snapshot)
        #expect(map.conflicts.isEmpty)
    }

    @Test func configErrorsSayWhere() {
        #expect(configError("[keys]\nexplode = \"x\"\n")?.hasPrefix("config.toml:2: keys.explode: no such action") == true)
        #expect(configError("[keys]\nquit = \"Hyper-q\"\n") == "config.toml:2: keys.quit: unknown key `Hyper-q`")
        #expect(
            configError("[clusters.a]\nendpoints = [\"ws://a/v1/stream\"]\nlag_warn = \"soon\"\n")
                == "config.toml:3: clusters.a.lag_warn: not a duration (like 500ms, 30s, 1m30s)")
    }

    /// The parse error as the user reads it (nil: it parsed).
    func configError(_ toml: String, path: String = "config.toml") -> String? {
        do {
            _ = try ConfigFile.parse(toml: toml, path: path)
            return nil
        } catch {
            return error.description
        }
    }

    /// Found when tried as a new user would: `endpoints = 1` was skipped, and
    /// `--cluster prod` then opened the demo. Every type error is an error
    /// naming the file, the line and the field.
    @Test func aFieldOfTheWrongTypeIsAnErrorWithFileLineAndField() {
        let prod = "# production\ndefault_cluster = \"prod\"\n\n[clusters.prod]\n"
        let cases: [(String, String)] = [
            (prod + "endpoints = 1\n", "/etc/cd.toml:5: clusters.prod.endpoints: expected an array of strings, found an integer"),
            (prod + "endpoints = \"ws://a/v1/stream\"\n", "/etc/cd.toml:5: clusters.prod.endpoints: expected an array of strings, found a string"),
            (prod + "endpoints = [\"ws://a/v1/stream\", 7]\n", "/etc/cd.toml:5: clusters.prod.endpoints[1]: expected a string, found an integer"),
            (prod + "endpoints = []\n", "/etc/cd.toml:5: clusters.prod.endpoints: empty: a cluster needs at least one ws://, wss:// or nats:// URL"),
            (
                prod + "token_env = \"T\"\n",
                "/etc/cd.toml:4: clusters.prod.endpoints: missing: a cluster needs at least one ws://, wss:// or nats:// URL"
            ),
            (
                prod + "endpoints = [\"http://a/v1/stream\"]\n",
                "/etc/cd.toml:5: clusters.prod.endpoints[0]: not a ws://, wss://, nats:// or nats+ws:// URL: http://a/v1/stream"
            ),
            (
                prod + "endpoints = [\"ws://u:secret@a/v1/stream\", \"x://u:secret@a\"]\n",
                "/etc/cd.toml:5: clusters.prod.endpoints[1]: not a ws://, wss://, nats:// or nats+ws:// URL"
            ),
            (
                prod + "endpoints = [\"nats://a:4222/prod\", \"ws://a/v1/stream\"]\n",
                "/etc/cd.toml:5: clusters.prod.endpoints[1]: one cluster's endpoints are all NATS servers or all protocol-v1 WebSocket URLs, not both"
            ),
            (
                prod + "endpoints = [\"nats://u:secret@a:4222\"]\n",
                "/etc/cd.toml:5: clusters.prod.endpoints[0]: NATS credentials do not go in the URL (CLUSTERDASH_NATS_USER/_PASSWORD or _TOKEN)"
            ),
            (
                prod + "endpoints = [\"ws://a/v1/stream\"]\nauth_env = \"NATS_CREDS\"\n",
                "/etc/cd.toml:6: clusters.prod.auth_env: only for an engine or nats:// endpoints (ws:// endpoints take token_env)"
            ),
            (
                prod + "endpoints = [\"ws://a/v1/stream\"]\nread_only = \"yes\"\n",
                "/etc/cd.toml:6: clusters.prod.read_only: expected true or false, found a string"
            ),
            (
                prod + "endpoints = [\"ws://a/v1/stream\"]\ntoken_env = 5\n",
                "/etc/cd.toml:6: clusters.prod.token_env: expected a string, found an integer"
            ),
            (
                prod + "endpoints = [\"ws://a/v1/stream\"]\nlag_warn = 30\n",
                "/etc/cd.toml:6: clusters.prod.lag_warn: expected a duration such as \"30s\", found an integer"
            ),
            (
                prod + "endpoints = [\"ws://a/v1/stream\"]\nlag_warn = \"2m\"\nlag_crit = \"1m\"\n",
                "/etc/cd.toml:6: clusters.prod.lag_warn: the warning threshold is above lag_crit"
            ),
            (
                prod + "endpoints = [\"ws://a/v1/stream\"]\ntoken = \"hunter2\"\n",
                "/etc/cd.toml:6: clusters.prod.token: unknown key (known: auth_env, bucket_prefix, ca_file, endpoints, engine, etcd, lag_crit, lag_crit_bytes, lag_crit_transactions, lag_warn, lag_warn_bytes, lag_warn_transactions, master, mysql, nats, parti, patroni, promotion_lag_limit_bytes, promotion_lag_limit_transactions, read_only, redis, repl_auth_env, sentinels, stream_auth_env, theme, tls_server_name, token_env)"
            ),
            (
                "default_cluster = \"prod\"\n[clusters.staging]\nendpoints = [\"ws://a/v1/stream\"]\n",
                "/etc/cd.toml:1: default_cluster: no cluster \"prod\" in this file (have: staging)"
            ),
            ("clusters = 3\n", "/etc/cd.toml:1: clusters: expected a table, found an integer"),
            ("[clusters]\nprod = \"ws://a\"\n", "/etc/cd.toml:2: clusters.prod: expected a table, found a string"),
            ("theme = [\"dark\"]\n", "/etc/cd.toml:1: theme: expected a string, found an array"),
            ("colour = \"x\"\n", "/etc/cd.toml:1: colour: unknown key (known: clusters, default_cluster, keys, theme)"),
            ("[clusters.prod\nendpoints = 1\n", "/etc/cd.toml:1: not valid TOML"),
        ]
        for (toml, expected) in cases {
            let got = configError(toml, path: "/etc/cd.toml")
            #expect(got?.hasPrefix(expected) == true, "\(toml)\ngot: \(got ?? "no error")\nwanted: \(expected)")
        }
        // The value of an unknown key is never echoed (it may be a credential).
        #expect(configError(prod + "endpoints = [\"ws://a/v1/stream\"]\ntoken = \"hunter2\"\n")?.contains("hunter2") == false)
        #expect(configError(prod + "endpoints = [\"x://u:secret@a\"]\n")?.contains("secret") == false)
    }

    @Test func linesAreFoundPastMultiLineValuesAndDottedKeys() {
        let toml = """
            theme = \"\"\"
            endpoints = 1
            \"\"\"
            [clusters.prod]
            endpoints = [
              "ws://a/v1/stream",
              "ws://b/v1/stream",
            ]
            "read_only" = 1
            """
        #expect(configError(toml)?.hasPrefix("config.toml:9: clusters.prod.read_only: expected true or false") == true, "\(configError(toml) ?? "")")
        #expect(
            configError("clusters.prod.endpoints = [\"ws://a/v1/stream\"]\nclusters.prod.theme = 1\n")
                == "config.toml:2: clusters.prod.theme: expected a string, found an integer")
    }
}
