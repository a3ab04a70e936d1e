/// A credential's value: carried, never shown (its description is redacted,
/// so it cannot reach a log or a screen by interpolation).
public struct Secret: Sendable, Hashable, CustomStringConvertible {
    public let value: String

    public init(_ value: String) { self.value = value }

    public var description: String { "(redacted)" }
}
