import Dashboard
import EventSources
import Foundation
import ClusterSim
import SimServer
import TOMLKit

/// `config.toml`: named clusters with their endpoints, token variable, theme
/// and thresholds (docs/CONFIG.md has an example).
struct ClusterConfig: Sendable {
    var name: String
    var endpoints: [String] = []
    /// The environment variable holding the bearer token.
    var tokenEnv: String?
    var theme: String?
    var lagWarnMillis: Int64?
    var lagCritMillis: Int64?
    var caFile: String?
    var readOnly = false
}

struct ConfigFile: Sendable {
    var defaultCluster: String?
    var clusters: [String: ClusterConfig] = [:]
    var theme: String?

    static func load(path: String) throws -> ConfigFile {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch {
            throw ValidationFailure("\(path): not TOML: \(error)")
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
                    guard let ms = parseDuration(w) else { throw ValidationFailure("\(path): clusters.\(name).lag_warn: not a duration") }
                    cc.lagWarnMillis = ms
                }
                if let w = c["lag_crit"]?.string {
                    guard let ms = parseDuration(w) else { throw ValidationFailure("\(path): clusters.\(name).lag_crit: not a duration") }
                    cc.lagCritMillis = ms
                }
                config.clusters[name] = cc
            }
        }
        return config
    }
}
