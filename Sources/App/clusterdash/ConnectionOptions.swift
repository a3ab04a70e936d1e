import ArgumentParser
import EngineKit
import EventSources
import Logging

/// Where to connect and how: shared by the commands that watch a cluster
/// (the dashboard and `tail`). Every engine's flags work for each.
struct ConnectionOptions: ParsableArguments {
    @OptionGroup var stream: StreamFlags

    @Option(help: "Record every received envelope to this JSON-lines file (replay it with `clusterdash replay`).")
    var record: String?

    @OptionGroup var engines: EngineFlagGroups

    /// Every group of flags, the stream's first.
    var groups: [any EngineFlags] { [stream] + engines.all }

    /// The cluster the flags name, checked; nil when they name none. Two
    /// engines' flags at once are an error naming both.
    func settings() throws -> (any EngineSettings)? { try EngineFlagGroups.settings(from: groups) }

    /// A configured cluster's settings with what the flags change (a token,
    /// a credentials variable).
    func refine(_ settings: inout any EngineSettings) throws {
        for g in groups { try g.refine(&settings) }
    }
}

/// A cluster's source from its settings, through its engine's connector;
/// recorded when `record` names a file.
func connect(_ settings: any EngineSettings, record: String?, logger: Logger) throws -> ConnectedEngine {
    var made = try EngineConnectors.connector(for: settings.engine).connect(settings, logger: logger)
    if let record { made.source = RecordedSource(made.source, recorder: try Recorder(path: record)) }
    return made
}
