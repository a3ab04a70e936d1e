/// How an engine grades its own words in the failover log: its node states
/// and its notices. The state model knows no engine; whoever builds a
/// `ClusterState` passes the vocabulary of every engine it may meet (the
/// engine registry's), and the reducer asks it with the engine named on the
/// stream.
public protocol EngineVocabulary: Sendable {
    /// A node's engine state changed to `state`; nil: a warning.
    func severity(ofState state: String, engine: String?) -> LogSeverity?
    /// The engine announced `kind`; nil: a notice.
    func severity(ofNotice kind: String, engine: String?) -> LogSeverity?
}

/// No engine's words: every state change a warning, every notice a notice.
public struct PlainVocabulary: EngineVocabulary {
    public init() {}
    public func severity(ofState state: String, engine: String?) -> LogSeverity? { nil }
    public func severity(ofNotice kind: String, engine: String?) -> LogSeverity? { nil }
}
