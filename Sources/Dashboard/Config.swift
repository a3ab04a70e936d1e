import ClusterState
import Foundation
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
    public var readOnly = false
}

public struct ConfigFile: Sendable {
    public var defaultCluster: String?
    public var clusters: [String: ClusterConfig] = [:]
    public var theme: String?
    /// User key overrides: action name -> keys, for the dashboard context.
    public var keys: [Action: [Key]] = [:]

    public init() {}

    public static func load(path: String) throws -> ConfigFile {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return try parse(toml: text, path: path)
    }

    public static func parse(toml text: String, path: String = "config.toml") throws(ConfigError) -> ConfigFile {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch {
            throw ConfigError("\(path): not TOML: \(error)")
        }
        var config = ConfigFile()
        config.defaultCluster = table["default_cluster"]?.string
        config.theme = table["theme"]?.string
        if let clusters = table["clusters"]?.table {
            for name in clusters.keys {
                guard let c = clusters[name]?.table else { continue }
                var cc = ClusterConfig(name: name)
                cc.endpoints = c["endpoints"]?.array?.compactMap { $0.string } ?? []
                cc.tokenEnv = c["token_env"]?.string
                cc.theme = c["theme"]?.string
                cc.caFile = c["ca_file"]?.string
                cc.readOnly = c["read_only"]?.bool ?? false
                if let w = c["lag_warn"]?.string {
                    guard let ms = parseDuration(w) else { throw ConfigError("\(path): clusters.\(name).lag_warn: not a duration") }
                    cc.lagWarnMillis = ms
                }
                if let w = c["lag_crit"]?.string {
                    guard let ms = parseDuration(w) else { throw ConfigError("\(path): clusters.\(name).lag_crit: not a duration") }
                    cc.lagCritMillis = ms
                }
                config.clusters[name] = cc
            }
        }
        if let keys = table["keys"]?.table {
            for name in keys.keys {
                guard let action = Action(rawValue: name) else {
                    throw ConfigError("\(path): [keys] \(name): no such action (\(Action.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                let names = keys[name]?.string.map { [$0] } ?? keys[name]?.array?.compactMap { $0.string } ?? []
                var parsed: [Key] = []
                for n in names {
                    guard let k = Key(name: n) else { throw ConfigError("\(path): [keys] \(name): unknown key `\(n)`") }
                    parsed.append(k)
                }
                config.keys[action] = parsed
            }
        }
        return config
    }
}

public struct ConfigError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ d: String) { description = d }
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
