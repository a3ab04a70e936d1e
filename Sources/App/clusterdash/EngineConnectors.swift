import ArgumentParser
import EngineKit
import EtcdSource
import JetStreamSource
import MySQLSource
import PartiSource
import PatroniSource
import RedisSource

/// Every engine's connector and flags: the app's one list, beside
/// `EngineRegistry`'s rules. A new engine is one line in each list here
/// (and one in `EngineRegistry.all`).
enum EngineConnectors {
    static let all: [any EngineConnector] = [
        StreamConnector(),
        PatroniConnector(),
        RedisClusterConnector(),
        SentinelConnector(),
        MySQLConnector(),
        EtcdConnector(),
        JetStreamConnector(),
        PartiConnector(),
    ]

    static func connector(for engine: EngineName) throws -> any EngineConnector {
        guard let c = all.first(where: { $0.engine == engine }) else { throw EngineSetupError("no connector for engine \(engine)") }
        return c
    }
}

/// Every engine's flags, one option group each (besides `--endpoint`'s).
struct EngineFlagGroups: ParsableArguments {
    @OptionGroup var patroni: PatroniFlags
    @OptionGroup var redis: RedisFlags
    @OptionGroup var mysql: MySQLFlags
    @OptionGroup var etcd: EtcdFlags
    @OptionGroup var jetStream: JetStreamFlags
    @OptionGroup var parti: PartiFlags

    var all: [any EngineFlags] { [patroni, redis, mysql, etcd, jetStream, parti] }

    /// The one cluster `groups` name, each group's flags checked; nil when
    /// they name none. Two engines' flags at once are an error naming both.
    static func settings(from groups: [any EngineFlags]) throws -> (any EngineSettings)? {
        let named = groups.flatMap(\.named)
        if named.count > 1 { throw ValidationError("give \(named[0]) or \(named[1]), not both") }
        var found: (any EngineSettings)?
        for g in groups {
            guard let s = try g.settings() else { continue }
            found = s
        }
        return found
    }

    /// Flags' usages as the messages say them: "a, b or c".
    static func either(_ items: [String]) -> String {
        items.count < 2 ? items.joined() : items.dropLast().joined(separator: ", ") + " or " + (items.last ?? "")
    }
}
