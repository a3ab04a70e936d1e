/// An engine's name as the wire carries it (`engine.name` in an
/// `engine.status`) and as a config names it (`engine = "..."`): a typed
/// value, checked against the registry where it is read.
public struct EngineName: RawRepresentable, Hashable, Sendable, Comparable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { rawValue = value }

    public var description: String { rawValue }
    public static func < (a: EngineName, b: EngineName) -> Bool { a.rawValue < b.rawValue }
}
