/// Where an engine's cluster is and how to reach it, as its config table or
/// its flags give it: pure values (a credential is the name of the
/// environment variable that holds it, never the secret). The engine's
/// connector turns them into a source.
public protocol EngineSettings: Sendable {
    /// The engine these settings are for.
    var engine: EngineName { get }
    /// Commands are never sent (the command path is not created).
    var readOnly: Bool { get set }
    /// The environment variable holding the credentials, if any.
    var authEnv: String? { get set }
    /// What must hold before connecting (a file that must be readable),
    /// said against the config key it came from.
    func preflight() -> [SettingProblem]
}

extension EngineSettings {
    /// Nothing to check by default.
    public func preflight() -> [SettingProblem] { [] }
}

/// A setting that cannot be used as given: its config key and why.
public struct SettingProblem: Sendable, Hashable {
    public var key: String
    public var message: String

    public init(key: String, message: String) {
        self.key = key
        self.message = message
    }
}
