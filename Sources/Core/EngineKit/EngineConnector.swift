import EventSources
import Logging

/// An engine's I/O half: it turns the engine's settings into a running
/// source (and a command sink where the engine takes commands). Each
/// engine's connector target has one; the app lists them beside the rules.
public protocol EngineConnector: Sendable {
    /// The engine it connects to (its rules' name).
    var engine: EngineName { get }
    /// A source for `settings` (of this engine), not started. Credentials
    /// are read here, from the variable the settings name, and never shown.
    func connect(_ settings: any EngineSettings, logger: Logger) throws -> ConnectedEngine
}

/// What a connector made.
public struct ConnectedEngine: Sendable {
    public var source: any EventSource
    /// Nil when the engine takes no command, or the settings are read-only.
    public var commands: (any CommandSink)?
    /// What the operator should know before trusting the connection.
    public var warnings: [String]
    /// The engine in a few words, for a gateway's banner ("Redis Sentinel (mymaster)").
    public var what: String

    public init(source: any EventSource, commands: (any CommandSink)?, warnings: [String] = [], what: String) {
        self.source = source
        self.commands = commands
        self.warnings = warnings
        self.what = what
    }
}

/// An engine's group of command-line flags (the dashboard's, the
/// gateway's and `tail`'s), as given.
public protocol EngineFlags: Sendable {
    /// The flags that name a cluster of this group's engines, as given
    /// (`--patroni`), for "give one, not both".
    var named: [String] { get }
    /// How its engines are named on the command line ("--patroni URL"), for help and errors.
    var usage: [String] { get }
    /// Its settings from its flags (checked: an error names the flag); nil
    /// when none of its flags names a cluster.
    func settings() throws -> (any EngineSettings)?
    /// Its flags that change a configured cluster's settings (credentials
    /// given on the command line).
    func refine(_ settings: inout any EngineSettings) throws
}

extension EngineFlags {
    public func refine(_ settings: inout any EngineSettings) throws {}
}

/// Settings or flags that cannot be used: said in the engine's words.
public struct EngineSetupError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Credentials from the environment, for every engine: the value of the
/// variable a config's `auth_env` or an `--…-auth-env` flag names. The value
/// is never printed or logged; errors name the variable only.
public enum EnvironmentCredentials {
    /// The variable's value; `what` names whose credentials they are ("Patroni").
    public static func value(of variable: String, for what: String, environment: [String: String]) throws -> String {
        guard let value = environment[variable], !value.isEmpty else {
            throw EngineSetupError("\(what) credentials: the environment variable \(variable) is not set")
        }
        return value
    }

    /// The value of the variable a config or flag names, when it names one
    /// (nil: none named, the engine's defaults apply).
    public static func value(ofNamed variable: String?, for what: String, environment: [String: String]) throws -> String? {
        try variable.map { try value(of: $0, for: what, environment: environment) }
    }

    /// A value that must be `user:password`, split.
    public static func userPassword(of variable: String, for what: String, environment: [String: String]) throws -> (
        user: String, password: String
    ) {
        let value = try value(of: variable, for: what, environment: environment)
        guard let colon = value.firstIndex(of: ":") else {
            throw EngineSetupError("\(what) credentials: \(variable) must hold user:password")
        }
        return (String(value[..<colon]), String(value[value.index(after: colon)...]))
    }
}
