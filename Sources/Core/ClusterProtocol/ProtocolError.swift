/// Why a frame could not be decoded, in words a person can act on.
public struct ProtocolError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, Equatable {
        /// The bytes are not JSON (syntax, invalid UTF-8, too deep).
        case notJSON
        /// The frame is over the 4 MiB limit; it was not parsed.
        case frameTooLarge
        /// The JSON is valid but not an object.
        case notAnObject
        /// A required field is absent (or null).
        case missingField
        /// A field holds the wrong kind of value.
        case wrongType
        /// A field holds a value outside what the contract allows.
        case invalidValue
        /// A client frame names an op the protocol does not have.
        case unknownOp
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}

/// Reads typed fields out of a JSON object and words every failure with the
/// field and the message it belongs to (`missing field `node` in `node.role_changed``).
public struct FieldReader {
    public let object: JSONObject
    private let contextHead: String
    private let contextTail: String?

    /// What is being read, e.g. `node.role_changed` or `envelope of node.left`.
    /// Built only when an error needs it: the hot path never formats it.
    public var context: String {
        guard let contextTail else { return contextHead }
        return "\(contextHead) \(contextTail)"
    }

    public init(_ object: JSONObject, context: String) {
        self.object = object
        self.contextHead = context
        self.contextTail = nil
    }

    /// A reader whose context is `head tail`, joined only when an error is worded.
    public init(_ object: JSONObject, context head: String, subject tail: String) {
        self.object = object
        self.contextHead = head
        self.contextTail = tail
    }

    public init(_ value: JSONValue, context: String) throws(ProtocolError) {
        guard case .object(let o) = value else {
            throw ProtocolError(.wrongType, "`\(context)` must be an object, got \(value.kindName)")
        }
        self.init(o, context: context)
    }

    func missing(_ key: String) -> ProtocolError {
        ProtocolError(.missingField, "missing field `\(key)` in `\(context)`")
    }

    func wrong(_ key: String, _ expected: String, _ got: JSONValue) -> ProtocolError {
        ProtocolError(.wrongType, "field `\(key)` in `\(context)` must be \(expected), got \(got.kindName)")
    }

    /// The raw value; nil when absent or null.
    public func value(_ key: String) -> JSONValue? {
        switch object[key] {
        case .none, .some(.null): nil
        case .some(let v): v
        }
    }

    public func string(_ key: String) throws(ProtocolError) -> String {
        guard let v = value(key) else { throw missing(key) }
        guard case .string(let s) = v else { throw wrong(key, "a string", v) }
        return s
    }

    public func optionalString(_ key: String) throws(ProtocolError) -> String? {
        guard let v = value(key) else { return nil }
        guard case .string(let s) = v else { throw wrong(key, "a string or null", v) }
        return s
    }

    public func int(_ key: String) throws(ProtocolError) -> Int64 {
        guard let v = value(key) else { throw missing(key) }
        return try Self.integer(v, key: key, reader: self)
    }

    public func optionalInt(_ key: String) throws(ProtocolError) -> Int64? {
        guard let v = value(key) else { return nil }
        return try Self.integer(v, key: key, reader: self)
    }

    static func integer(_ v: JSONValue, key: String, reader: FieldReader) throws(ProtocolError) -> Int64 {
        switch v {
        case .int(let i):
            return i
        case .double(let d):
            // 12.0 is fine; 12.5 or 1e300 is not an integer we can hold.
            guard d == d.rounded(), abs(d) < 9.0e15 else {
                throw ProtocolError(.invalidValue, "field `\(key)` in `\(reader.context)` must be an integer, got \(d)")
            }
            return Int64(d)
        default:
            throw reader.wrong(key, "an integer", v)
        }
    }

    public func double(_ key: String) throws(ProtocolError) -> Double {
        guard let v = value(key) else { throw missing(key) }
        switch v {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: throw wrong(key, "a number", v)
        }
    }

    public func optionalDouble(_ key: String) throws(ProtocolError) -> Double? {
        guard value(key) != nil else { return nil }
        return try double(key)
    }

    public func bool(_ key: String) throws(ProtocolError) -> Bool {
        guard let v = value(key) else { throw missing(key) }
        guard case .bool(let b) = v else { throw wrong(key, "true or false", v) }
        return b
    }

    public func optionalBool(_ key: String) throws(ProtocolError) -> Bool? {
        guard value(key) != nil else { return nil }
        return try bool(key)
    }

    public func timestamp(_ key: String) throws(ProtocolError) -> Timestamp {
        let s = try string(key)
        guard let t = Timestamp(rfc3339: s) else {
            throw ProtocolError(.invalidValue, "field `\(key)` in `\(context)` is not an RFC 3339 timestamp: \"\(s.prefix(40))\"")
        }
        return t
    }

    public func optionalTimestamp(_ key: String) throws(ProtocolError) -> Timestamp? {
        guard value(key) != nil else { return nil }
        return try timestamp(key)
    }

    public func wireEnum<E: WireEnum>(_ key: String, _ type: E.Type = E.self) throws(ProtocolError) -> E {
        E(wire: try string(key))
    }

    public func optionalWireEnum<E: WireEnum>(_ key: String, _ type: E.Type = E.self) throws(ProtocolError) -> E? {
        try optionalString(key).map { E(wire: $0) }
    }

    public func object(_ key: String) throws(ProtocolError) -> FieldReader {
        guard let v = value(key) else { throw missing(key) }
        guard case .object(let o) = v else { throw wrong(key, "an object", v) }
        return FieldReader(o, context: "\(context).\(key)")
    }

    public func optionalObject(_ key: String) throws(ProtocolError) -> FieldReader? {
        guard value(key) != nil else { return nil }
        return try object(key)
    }

    /// The elements of an array field, each wrapped in its own reader context.
    public func array(_ key: String) throws(ProtocolError) -> [JSONValue] {
        guard let v = value(key) else { throw missing(key) }
        guard case .array(let a) = v else { throw wrong(key, "an array", v) }
        return a
    }

    /// Decodes each element of an array of objects.
    public func objects<T>(_ key: String, _ decode: (FieldReader) throws(ProtocolError) -> T) throws(ProtocolError) -> [T] {
        let items = try array(key)
        var out: [T] = []
        out.reserveCapacity(items.count)
        for (i, item) in items.enumerated() {
            out.append(try decode(try FieldReader(item, context: "\(context).\(key)[\(i)]")))
        }
        return out
    }
}

/// A string enumeration of the contract that stays open: a value it does not
/// know becomes `.other(text)` instead of an error, and writes back unchanged.
public protocol WireEnum: Sendable, Hashable {
    init(wire: String)
    var wire: String { get }
}

/// Builds JSON objects field by field, writing `null` for absent optionals.
public struct ObjectBuilder {
    public var object = JSONObject()

    public init() {}

    public mutating func put(_ key: String, _ value: JSONValue) { object.append(key, value) }
    public mutating func put(_ key: String, _ value: String?) { object.append(key, value.map { .string($0) } ?? .null) }
    public mutating func put(_ key: String, _ value: Int64?) { object.append(key, value.map { .int($0) } ?? .null) }
    public mutating func put(_ key: String, _ value: Int) { object.append(key, .int(Int64(value))) }
    public mutating func put(_ key: String, _ value: Double) { object.append(key, .double(value)) }
    public mutating func put(_ key: String, _ value: Bool) { object.append(key, .bool(value)) }
    public mutating func put(_ key: String, _ value: Timestamp?) {
        object.append(key, value.map { .string($0.rfc3339) } ?? .null)
    }
    public mutating func put<E: WireEnum>(_ key: String, _ value: E?) {
        object.append(key, value.map { .string($0.wire) } ?? .null)
    }

    public var value: JSONValue { .object(object) }
}
