import ClusterState
import EngineKit
import EngineRegistry
import Foundation
import RenderCore
import TOMLKit

/// `config.toml`: named clusters, each of an engine with that engine's
/// settings, and their theme and thresholds (docs/CONFIG.md has an example).
public struct ClusterConfig: Sendable {
    public var name: String
    /// The engine (`engine = "..."`, protocol v1 by default), one of the registry's.
    public var engine: EngineName
    /// Where the cluster is and how to reach it, as its engine read them.
    public var settings: any EngineSettings
    public var theme: String?
    public var lagWarnMillis: Int64?
    public var lagCritMillis: Int64?
    public var readOnly = false
    /// Byte-lag thresholds (engines that measure bytes).
    public var lagWarnBytes: Int64?
    public var lagCritBytes: Int64?
    /// Largest byte lag a candidate may have (default: the engine's own limit).
    public var promotionLagLimitBytes: Int64?
    /// Transaction-lag thresholds and limit (engines that count transactions).
    public var lagWarnTransactions: Int64?
    public var lagCritTransactions: Int64?
    public var promotionLagLimitTransactions: Int64?

    public init(name: String, settings: any EngineSettings) {
        self.name = name
        self.settings = settings
        engine = settings.engine
    }
}

public struct ConfigFile: Sendable {
    public var defaultCluster: String?
    public var clusters: [String: ClusterConfig] = [:]
    public var theme: String?
    /// User key overrides: action name -> keys, for the dashboard context.
    public var keys: [Action: [Key]] = [:]
    /// The file it was read from, and where each key stands in it.
    public private(set) var reader = ConfigReader(text: "", path: "config.toml")
    public var path: String { reader.path }

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
    public func error(field: String, _ message: String) -> ConfigError { reader.error(field: field, message) }

    static let topKeys: Set<String> = ["default_cluster", "theme", "clusters", "keys"]
    /// Every cluster's keys, whatever its engine.
    static let commonClusterKeys = [
        "engine", "theme", "read_only", "lag_warn", "lag_crit", "lag_warn_bytes", "lag_crit_bytes", "promotion_lag_limit_bytes",
        "lag_warn_transactions", "lag_crit_transactions", "promotion_lag_limit_transactions",
    ]
    /// The keys a cluster table may hold: the common ones and every engine's.
    static var clusterKeys: Set<String> { Set(commonClusterKeys + EngineRegistry.all.flatMap(\.configKeys)) }

    /// Reads the whole file strictly: a key of the wrong type, an unknown
    /// key, a key of another engine, a bad URL or duration, or a default
    /// cluster that is not there is an error naming the file, line and
    /// field. Nothing is skipped. Each cluster's engine reads its own keys.
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
        let r = ConfigReader(text: text, path: path)
        config.reader = r
        try r.onlyKnown(table, ConfigFile.topKeys, at: nil)
        config.defaultCluster = try r.string(table, "default_cluster", at: nil)
        config.theme = try r.string(table, "theme", at: nil)
        if let clusters = try r.table(table, "clusters", at: nil) {
            for name in clusters.keys.sorted() {
                guard let c = try r.table(clusters, name, at: "clusters") else { continue }
                config.clusters[name] = try cluster(name, c, r)
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

    /// One `[clusters.NAME]` table: its engine reads its own keys, then the common ones.
    private static func cluster(_ name: String, _ c: TOMLTable, _ r: ConfigReader) throws(ConfigError) -> ClusterConfig {
        let at = "clusters.\(name)"
        try r.onlyKnown(c, ConfigFile.clusterKeys, at: at)
        let engineName = EngineName(try r.string(c, "engine", at: at) ?? ProtocolV1Rules.name.rawValue)
        guard let engine = EngineRegistry.rules(named: engineName) else {
            throw r.error(
                field: "\(at).engine",
                "unknown engine \"\(engineName.rawValue.prefix(40))\" (have: \(EngineRegistry.names.map(\.rawValue).joined(separator: ", ")))")
        }
        // A key of another engine is an error, never ignored.
        let own = Set(commonClusterKeys + engine.configKeys)
        for key in c.keys.sorted() where !own.contains(key) {
            throw r.error(field: "\(at).\(key)", "engine \(engine.name) takes \(engine.takes), not \(key)")
        }
        var cc = ClusterConfig(name: name, settings: try engine.settings(from: ClusterTable(cluster: name, table: c, reader: r)))
        cc.lagWarnBytes = try r.byteSize(c, "lag_warn_bytes", at: at)
        cc.lagCritBytes = try r.byteSize(c, "lag_crit_bytes", at: at)
        cc.promotionLagLimitBytes = try r.byteSize(c, "promotion_lag_limit_bytes", at: at)
        if let w = cc.lagWarnBytes, let k = cc.lagCritBytes, w > k {
            throw r.error(field: "\(at).lag_warn_bytes", "the warning threshold is above lag_crit_bytes")
        }
        cc.lagWarnTransactions = try r.count(c, "lag_warn_transactions", at: at)
        cc.lagCritTransactions = try r.count(c, "lag_crit_transactions", at: at)
        cc.promotionLagLimitTransactions = try r.count(c, "promotion_lag_limit_transactions", at: at)
        if let w = cc.lagWarnTransactions, let k = cc.lagCritTransactions, w > k {
            throw r.error(field: "\(at).lag_warn_transactions", "the warning threshold is above lag_crit_transactions")
        }
        cc.theme = try r.string(c, "theme", at: at)
        cc.readOnly = try r.bool(c, "read_only", at: at) ?? false
        cc.settings.readOnly = cc.readOnly
        cc.lagWarnMillis = try r.duration(c, "lag_warn", at: at)
        cc.lagCritMillis = try r.duration(c, "lag_crit", at: at)
        if let w = cc.lagWarnMillis, let k = cc.lagCritMillis, w > k {
            throw r.error(field: "\(at).lag_warn", "the warning threshold is above lag_crit")
        }
        return cc
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
