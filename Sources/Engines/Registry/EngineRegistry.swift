import ClusterState
import EngineKit
import EtcdRules
import JetStreamRules
import MySQLRules
import PartiRules
import PatroniRules
import RedisRules

/// Every engine clusterdash knows, by the name the wire and the config
/// carry: the one list of engines' rules. A new engine is one line here
/// (and one in the app's connectors, `EngineConnectors`).
public enum EngineRegistry {
    public static let all: [any EngineRules] = [
        ProtocolV1Rules(),
        PatroniRules(),
        RedisClusterRules(),
        SentinelRules(),
        MySQLRules(),
        EtcdRules(),
        JetStreamRules(),
        PartiRules(),
    ]

    /// The engine of that name; nil when none is.
    public static func rules(named name: EngineName) -> (any EngineRules)? {
        all.first { $0.name == name }
    }

    /// The rules for the engine a stream names (`engine.name`): protocol
    /// v1's when it names none or one this build does not know.
    public static func rules(forStream name: String?) -> any EngineRules {
        name.flatMap { rules(named: EngineName($0)) } ?? ProtocolV1Rules()
    }

    /// Every engine's words, for the state model's failover log.
    public static let vocabulary: any EngineVocabulary = RegistryVocabulary()

    /// What the promotion dialog's `t` chooses between, in every engine that offers a choice.
    public static var promotionModesHelp: String {
        let words = all.compactMap(\.promotionModesHelp)
        return words.isEmpty ? "the engine's second way to promote" : words.joined(separator: "; ")
    }

    /// The names, for "unknown engine" errors and help.
    public static var names: [EngineName] { all.map(\.name) }
}

/// The registry's engines grading their own words.
struct RegistryVocabulary: EngineVocabulary {
    func severity(ofState state: String, engine: String?) -> LogSeverity? {
        EngineRegistry.rules(forStream: engine).severity(ofState: state)
    }

    func severity(ofNotice kind: String, engine: String?) -> LogSeverity? {
        EngineRegistry.rules(forStream: engine).severity(ofNotice: kind)
    }
}
