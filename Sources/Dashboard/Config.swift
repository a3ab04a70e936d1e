import ClusterState
import Foundation
import RenderCore
import TOMLKit

/// `config.toml`: named clusters with their endpoints, token variable, theme
/// and thresholds (docs/CONFIG.md has an example).
public struct ClusterConfig: Sendable, Equatable {
    public var name: String
    public var endpoints: [String] = []
    /// The environment variable holding the bearer token.
    public var tokenEnv: String?
    public var theme: String?
    public var lagWarnMillis: Int64?
    public var lagCritMillis: Int64?
    public var caFile: String?
    /// The name the `wss://` servers' certificates carry when the URLs give
    /// bare IP addresses (`tls_server_name`).
    public var tlsServerName: String?
    public var readOnly = false
    /// `protocol-v1` (the default: `endpoints`) or `patroni` (`patroni`, `etcd`).
    public var engine = "protocol-v1"
    /// Patroni members' REST APIs, and etcd's HTTP gateway (engine `patroni`).
    public var patroni: [String] = []
    public var etcd: [String] = []
    /// Redis Cluster nodes, `host:port` (engine `redis-cluster`).
    public var redis: [String] = []
    /// Sentinels, `host:port`, and the master's name (engine `redis-sentinel`).
    public var sentinels: [String] = []
    public var master: String?
    /// The environment variable holding `user:password` for Patroni's REST
    /// API, or Redis's `password` / `user:password`.
    public var authEnv: String?
    /// Byte-lag thresholds (engines that measure bytes).
    public var lagWarnBytes: Int64?
    public var lagCritBytes: Int64?
    /// Largest byte lag a candidate may have (default: the cluster's `maximum_lag_on_failover`).
    public var promotionLagLimitBytes: Int64?
}

public struct ConfigFile: Sendable {
    public var defaultCluster: String?
    public var clusters: [String: ClusterConfig] = [:]
    public var theme: String?
    /// User key overrides: action name -> keys, for the dashboard context.
    public var keys: [Action: [Key]] = [:]
    /// The file it was read from, and where each key stands in it.
    public private(set) var path = "config.toml"
    private var lines = ConfigLines("")

    public init() {}

    public static func load(path: String) throws(ConfigError) -> ConfigFile {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError(file: path, message: "cannot be read as UTF-8 text")
        }
        return try parse(toml: text, path: path)
    }

    /// An error about `field` (`clusters.prod.theme`) of this file, with its line.
    public func error(field: String, _ message: String) -> ConfigError {
        // `endpoints[1]` stands on the line of `endpoints`.
        let key = field.firstIndex(of: "[").map { String(field[..<$0]) } ?? field
        return ConfigError(file: path, line: lines.line(of: ConfigLines.keyPath(key)), field: field, message: message)
    }

    static let topKeys: Set<String> = ["default_cluster", "theme", "clusters", "keys"]
    static let clusterKeys: Set<String> = [
        "endpoints", "token_env", "theme", "ca_file", "tls_server_name", "read_only", "lag_warn", "lag_crit", "engine", "patroni", "etcd",
        "redis", "sentinels", "master", "auth_env",
        "lag_warn_bytes", "lag_crit_bytes", "promotion_lag_limit_bytes",
    ]
    static let engines = ["protocol-v1", "patroni", "redis-cluster", "redis-sentinel"]

    /// Reads the whole file strictly: a key of the wrong type, an unknown
    /// key, a bad URL or duration, or a default cluster that is not there is
    /// an error naming the file, line and field. Nothing is skipped.
    public static func parse(toml text: String, path: String = "config.toml") throws(ConfigError) -> ConfigFile {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let e as TOMLParseError {
            throw ConfigError(file: path, line: e.source.begin.line, message: "not valid TOML: \(e.description)")
        } catch {
            throw ConfigError(file: path, message: "not valid TOML: \(error)")
        }
        var config = ConfigFile()
        config.path = path
        config.lines = ConfigLines(text)
        let r = config
        try r.onlyKnown(table, ConfigFile.topKeys, at: nil)
        config.defaultCluster = try r.string(table, "default_cluster", at: nil)
        config.theme = try r.string(table, "theme", at: nil)
        if let clusters = try r.table(table, "clusters", at: nil) {
            for name in clusters.keys.sorted() {
                guard let c = try r.table(clusters, name, at: "clusters") else { continue }
                let at = "clusters.\(name)"
                try r.onlyKnown(c, ConfigFile.clusterKeys, at: at)
                var cc = ClusterConfig(name: name)
                cc.engine = try r.string(c, "engine", at: at) ?? "protocol-v1"
                guard ConfigFile.engines.contains(cc.engine) else {
                    throw r.error(
                        field: "\(at).engine", "unknown engine \"\(cc.engine.prefix(40))\" (have: \(ConfigFile.engines.joined(separator: ", ")))")
                }
                if cc.engine == "patroni" {
                    if c["endpoints"] != nil { throw r.error(field: "\(at).endpoints", "engine patroni takes `patroni` (REST URLs), not endpoints") }
                    cc.patroni = try r.httpURLs(c, "patroni", at: at, required: true)
                    cc.etcd = try r.httpURLs(c, "etcd", at: at, required: false)
                    for key in ["redis", "sentinels", "master"] where c[key] != nil {
                        throw r.error(field: "\(at).\(key)", "not for engine = \"patroni\"")
                    }
                } else if cc.engine == "redis-cluster" {
                    for key in ["endpoints", "patroni", "etcd", "sentinels", "master"] where c[key] != nil {
                        throw r.error(field: "\(at).\(key)", "engine redis-cluster takes `redis` (host:port of its nodes), not \(key)")
                    }
                    cc.redis = try r.hostPorts(c, "redis", at: at)
                } else if cc.engine == "redis-sentinel" {
                    for key in ["endpoints", "patroni", "etcd", "redis"] where c[key] != nil {
                        throw r.error(field: "\(at).\(key)", "engine redis-sentinel takes `sentinels` (host:port) and `master`, not \(key)")
                    }
                    cc.sentinels = try r.hostPorts(c, "sentinels", at: at)
                    guard let master = try r.string(c, "master", at: at), !master.isEmpty else {
                        throw r.error(field: "\(at).master", "missing: the master's name the sentinels monitor")
                    }
                    cc.master = master
                } else {
                    for key in ["patroni", "etcd", "redis", "sentinels", "master"] where c[key] != nil {
                        throw r.error(field: "\(at).\(key)", "only for an engine (patroni, redis-cluster)")
                    }
                    cc.endpoints = try r.endpoints(c, at: at)
                    if c["auth_env"] != nil, !cc.endpoints.allSatisfy({ $0.hasPrefix("nats") }) {
                        throw r.error(field: "\(at).auth_env", "only for an engine or nats:// endpoints (ws:// endpoints take token_env)")
                    }
                }
                cc.authEnv = try r.string(c, "auth_env", at: at)
                cc.lagWarnBytes = try r.byteSize(c, "lag_warn_bytes", at: at)
                cc.lagCritBytes = try r.byteSize(c, "lag_crit_bytes", at: at)
                cc.promotionLagLimitBytes = try r.byteSize(c, "promotion_lag_limit_bytes", at: at)
                if let w = cc.lagWarnBytes, let k = cc.lagCritBytes, w > k {
                    throw r.error(field: "\(at).lag_warn_bytes", "the warning threshold is above lag_crit_bytes")
                }
                cc.tokenEnv = try r.string(c, "token_env", at: at)
                cc.theme = try r.string(c, "theme", at: at)
                cc.caFile = try r.string(c, "ca_file", at: at)
                cc.tlsServerName = try r.string(c, "tls_server_name", at: at)
                cc.readOnly = try r.bool(c, "read_only", at: at) ?? false
                cc.lagWarnMillis = try r.duration(c, "lag_warn", at: at)
                cc.lagCritMillis = try r.duration(c, "lag_crit", at: at)
                if let w = cc.lagWarnMillis, let k = cc.lagCritMillis, w > k {
                    throw r.error(field: "\(at).lag_warn", "the warning threshold is above lag_crit")
                }
                config.clusters[name] = cc
            }
        }
        if let d = config.defaultCluster, config.clusters[d] == nil {
            throw r.error(
                field: "default_cluster", "no cluster \"\(d)\" in this file (have: \(config.clusters.keys.sorted().joined(separator: ", ")))")
        }
        if let keys = try r.table(table, "keys", at: nil) {
            for name in keys.keys.sorted() {
                let field = "keys.\(name)"
                guard let action = Action(rawValue: name) else {
                    throw r.error(field: field, "no such action (\(Action.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                let names: [String]
                if let one = keys[name]?.string {
                    names = [one]
                } else if let list = try r.stringArray(keys, name, at: "keys") {
                    names = list
                } else {
                    names = []
                }
                var parsed: [Key] = []
                for n in names {
                    guard let k = Key(name: n) else { throw r.error(field: field, "unknown key `\(n)`") }
                    parsed.append(k)
                }
                config.keys[action] = parsed
            }
        }
        return config
    }

    // MARK: Typed reads

    private func join(_ at: String?, _ key: String) -> String { at.map { "\($0).\(key)" } ?? key }

    private func wrongType(_ field: String, expected: String, found value: any TOMLValueConvertible) -> ConfigError {
        let name = value.type.description
        let article = "aeiou".contains(name.prefix(1)) ? "an" : "a"
        return error(field: field, "expected \(expected), found \(article) \(name)")
    }

    private func onlyKnown(_ t: TOMLTable, _ known: Set<String>, at: String?) throws(ConfigError) {
        for key in t.keys.sorted() where !known.contains(key) {
            // The value is never echoed: it may be a credential put in the wrong place.
            throw error(field: join(at, key), "unknown key (known: \(known.sorted().joined(separator: ", ")))")
        }
    }

    private func string(_ t: TOMLTable, _ key: String, at: String?) throws(ConfigError) -> String? {
        guard let v = t[key] else { return nil }
        guard let s = v.string else { throw wrongType(join(at, key), expected: "a string", found: v) }
        return s
    }

    private func bool(_ t: TOMLTable, _ key: String, at: String?) throws(ConfigError) -> Bool? {
        guard let v = t[key] else { return nil }
        guard let b = v.bool else { throw wrongType(join(at, key), expected: "true or false", found: v) }
        return b
    }

    private func table(_ t: TOMLTable, _ key: String, at: String?) throws(ConfigError) -> TOMLTable? {
        guard let v = t[key] else { return nil }
        guard let table = v.table else { throw wrongType(join(at, key), expected: "a table", found: v) }
        return table
    }

    private func stringArray(_ t: TOMLTable, _ key: String, at: String?) throws(ConfigError) -> [String]? {
        guard let v = t[key] else { return nil }
        let field = join(at, key)
        guard let array = v.array else { throw wrongType(field, expected: "an array of strings", found: v) }
        var out: [String] = []
        for (i, item) in array.enumerated() {
            guard let s = item.string else { throw wrongType("\(field)[\(i)]", expected: "a string", found: item) }
            out.append(s)
        }
        return out
    }

    private func duration(_ t: TOMLTable, _ key: String, at: String) throws(ConfigError) -> Int64? {
        guard let v = t[key] else { return nil }
        let field = join(at, key)
        guard let s = v.string else { throw wrongType(field, expected: "a duration such as \"30s\"", found: v) }
        guard let ms = parseDuration(s) else { throw error(field: field, "not a duration (like 500ms, 30s, 1m30s)") }
        return ms
    }

    private func byteSize(_ t: TOMLTable, _ key: String, at: String) throws(ConfigError) -> Int64? {
        guard let v = t[key] else { return nil }
        let field = join(at, key)
        if let i = v.int, i >= 0 { return Int64(i) }
        guard let s = v.string else { throw wrongType(field, expected: "a size such as \"16MiB\" or a number of bytes", found: v) }
        guard let b = parseByteSize(s) else { throw error(field: field, "not a size (like 1048576, 512KiB, 16MiB)") }
        return b
    }

    private func hostPorts(_ t: TOMLTable, _ key: String, at: String) throws(ConfigError) -> [String] {
        let field = "\(at).\(key)"
        guard t[key] != nil, let list = try stringArray(t, key, at: at) else {
            throw error(field: field, "missing: give at least one host:port")
        }
        if list.isEmpty { throw error(field: field, "empty: give at least one host:port") }
        for (i, a) in list.enumerated() {
            guard let colon = a.lastIndex(of: ":"), colon != a.startIndex, let port = Int(a[a.index(after: colon)...]), (1...65535).contains(port)
            else { throw error(field: "\(field)[\(i)]", "not host:port: \(a.prefix(60))") }
        }
        return list
    }

    private func httpURLs(_ t: TOMLTable, _ key: String, at: String, required: Bool) throws(ConfigError) -> [String] {
        let field = "\(at).\(key)"
        guard t[key] != nil else {
            if required { throw error(field: field, "missing: engine patroni needs at least one member's REST URL (http://host:8008)") }
            return []
        }
        guard let urls = try stringArray(t, key, at: at) else { return [] }
        if required && urls.isEmpty { throw error(field: field, "empty: give at least one http:// or https:// URL") }
        for (i, url) in urls.enumerated() {
            guard let c = URLComponents(string: url), c.scheme == "http" || c.scheme == "https", let host = c.host, !host.isEmpty else {
                let shown = url.contains("@") ? "" : ": \(url)"
                throw error(field: "\(field)[\(i)]", "not an http:// or https:// URL\(shown)")
            }
        }
        return urls
    }

    private func endpoints(_ t: TOMLTable, at: String) throws(ConfigError) -> [String] {
        let field = "\(at).endpoints"
        guard t["endpoints"] != nil else {
            throw error(field: field, "missing: a cluster needs at least one ws://, wss:// or nats:// URL")
        }
        guard let urls = try stringArray(t, "endpoints", at: at) else { return [] }
        if urls.isEmpty { throw error(field: field, "empty: a cluster needs at least one ws://, wss:// or nats:// URL") }
        var families: Set<String> = []
        for (i, url) in urls.enumerated() {
            guard let c = URLComponents(string: url), let scheme = c.scheme, ["ws", "wss", "nats", "nats+ws"].contains(scheme),
                let host = c.host, !host.isEmpty
            else {
                // Shown only when it cannot carry a password.
                let shown = url.contains("@") ? "" : ": \(url)"
                throw error(field: "\(field)[\(i)]", "not a ws://, wss://, nats:// or nats+ws:// URL\(shown)")
            }
            if scheme.hasPrefix("nats"), c.user != nil || c.password != nil {
                throw error(field: "\(field)[\(i)]", "NATS credentials do not go in the URL (CLUSTERDASH_NATS_USER/_PASSWORD or _TOKEN)")
            }
            families.insert(scheme.hasPrefix("nats") ? "NATS" : "protocol-v1 WebSocket")
            if families.count > 1 {
                throw error(field: "\(field)[\(i)]", "one cluster's endpoints are all NATS servers or all protocol-v1 WebSocket URLs, not both")
            }
        }
        return urls
    }
}

/// A configuration error: the file, the line when known, the field, and what is wrong.
public struct ConfigError: Error, CustomStringConvertible, Equatable {
    public var file: String
    public var line: Int?
    public var field: String?
    public var message: String

    public init(file: String, line: Int? = nil, field: String? = nil, message: String) {
        self.file = file
        self.line = line
        self.field = field
        self.message = message
    }

    /// `config.toml:4: clusters.prod.endpoints: expected an array of strings, found an integer`
    public var description: String {
        "\(file)\(line.map { ":\($0)" } ?? ""): \(field.map { "\($0): " } ?? "")\(message)"
    }
}

extension Key {
    /// Parses `x`, `Ctrl-x`, `Enter`, `Esc`, `Tab`, `Shift-Tab`, `Space`,
    /// `Up`, `Down`, `Left`, `Right`, `Home`, `End`, `PgUp`, `PgDn`, `Backspace`.
    public init?(name: String) {
        let lower = name.lowercased()
        switch lower {
        case "enter", "return": self = .enter
        case "esc", "escape": self = .escape
        case "tab": self = .tab
        case "shift-tab", "backtab": self = .backTab
        case "space": self = .char(" ")
        case "up": self = .up
        case "down": self = .down
        case "left": self = .left
        case "right": self = .right
        case "home": self = .home
        case "end": self = .end
        case "pgup", "pageup": self = .pageUp
        case "pgdn", "pagedown": self = .pageDown
        case "backspace": self = .backspace
        default:
            if lower.hasPrefix("ctrl-"), lower.count == 6, let c = lower.last, c.isLetter {
                self = .ctrl(c)
            } else if name.count == 1, let c = name.first {
                self = .char(c)
            } else {
                return nil
            }
        }
    }
}

extension Keymap {
    /// The keymap with the user's keys for the dashboard's actions. A key
    /// given to one action is taken from any other action of that context.
    public func overriding(_ keys: [Action: [Key]]) -> Keymap {
        var bindings = self.bindings
        for (action, newKeys) in keys {
            for i in bindings.indices where bindings[i].context == .normal {
                if bindings[i].action == action {
                    bindings[i].keys = newKeys
                } else {
                    bindings[i].keys.removeAll { newKeys.contains($0) }
                }
            }
        }
        return Keymap(bindings: bindings)
    }
}
