import Dashboard
import EventSources
import Logging
import RenderCore

/// What a dashboard runtime is started with, gathered by the command that
/// starts it (`clusterdash`, `replay`), before the terminal is taken.
public struct RuntimeSetup: Sendable {
    public var model: AppModel
    /// The source shown.
    public var source: any EventSource
    /// Nil in read-only mode: the command path does not exist.
    public var commands: (any CommandSink)?
    public var theme: Theme
    /// A theme by name or path (the `T` key).
    public var loadTheme: @Sendable (String) throws -> Theme
    /// Where incident bundles and the audit log go.
    public var stateDirectory: String
    public var logger: Logger
    /// The signal that asks the runtime to quit (0 while none came).
    public var quitSignal: @Sendable () -> Int32 = { 0 }
    public var clock = RuntimeClock.system
    /// Set when playing a recording.
    public var replay: ReplaySource?
    /// `--fleet`: every cluster found, each with its own source and model.
    public var fleet: FleetDriver?

    public init(
        model: AppModel, source: any EventSource, commands: (any CommandSink)?, theme: Theme,
        loadTheme: @escaping @Sendable (String) throws -> Theme, stateDirectory: String, logger: Logger
    ) {
        self.model = model
        self.source = source
        self.commands = commands
        self.theme = theme
        self.loadTheme = loadTheme
        self.stateDirectory = stateDirectory
        self.logger = logger
    }
}
