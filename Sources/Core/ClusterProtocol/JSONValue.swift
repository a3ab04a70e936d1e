/// A parsed JSON document: the neutral form every frame passes through.
///
/// Objects keep their fields in wire order (a small array, not a dictionary:
/// protocol objects have a handful of fields and a linear scan beats hashing).
/// Integers that fit in `Int64` stay exact; everything else is a `Double`.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// A short name of the value's kind, for error messages.
    public var kindName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .int, .double: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    /// The object's fields, or nil when this is not an object.
    public var objectValue: JSONObject? {
        if case .object(let o) = self { return o }
        return nil
    }

    /// The string, or nil when this is not a string.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }
}

/// One `"key": value` pair of a JSON object.
public struct JSONField: Sendable, Hashable {
    public var key: String
    public var value: JSONValue

    public init(_ key: String, _ value: JSONValue) {
        self.key = key
        self.value = value
    }
}

/// A JSON object with its fields in wire order.
public struct JSONObject: Sendable, Hashable {
    public var fields: [JSONField]

    public init(_ fields: [JSONField] = []) {
        self.fields = fields
    }

    /// The value for `key`; when a key repeats, the last one wins (as in most parsers).
    public subscript(key: String) -> JSONValue? {
        var i = fields.count - 1
        while i >= 0 {
            if fields[i].key == key { return fields[i].value }
            i -= 1
        }
        return nil
    }

    /// Appends a field (no check for repeats: the encoder builds each object once).
    public mutating func append(_ key: String, _ value: JSONValue) {
        fields.append(JSONField(key, value))
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByNilLiteral, ExpressibleByFloatLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(nilLiteral: ()) { self = .null }
    public init(floatLiteral value: Double) { self = .double(value) }
}
