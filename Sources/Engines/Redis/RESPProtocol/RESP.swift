import NIOCore

/// One RESP value (Redis's wire format, versions 2 and 3). Bulk strings stay
/// bytes (a key or a value need not be UTF-8); `text` reads them as text.
public indirect enum RESPValue: Sendable, Hashable {
    case simple(String)
    case error(String)
    case integer(Int64)
    /// nil: RESP2's null bulk string (`$-1`).
    case bulk([UInt8]?)
    /// nil: RESP2's null array (`*-1`).
    case array([RESPValue]?)
    /// RESP3 `_`.
    case null
    case boolean(Bool)
    case double(Double)
    case bigNumber(String)
    case verbatim(format: String, text: String)
    /// RESP3 `%`, in wire order (keys need not be strings).
    case map([RESPPair])
    case set([RESPValue])
    /// RESP3 `>`: out-of-band data (pub/sub messages on a RESP3 connection).
    case push([RESPValue])

    /// A simple, bulk or verbatim string as text; nil for anything else.
    public var text: String? {
        switch self {
        case .simple(let s): s
        case .bulk(let b?): String(decoding: b, as: UTF8.self)
        case .verbatim(_, let t): t
        default: nil
        }
    }

    /// An integer reply; nil for anything else.
    public var int: Int64? {
        if case .integer(let i) = self { return i }
        return nil
    }

    /// The elements of an array, set or push; nil for anything else.
    public var elements: [RESPValue]? {
        switch self {
        case .array(let a?): a
        case .set(let s), .push(let s): s
        default: nil
        }
    }

    /// A map, or an array of alternating keys and values (RESP2's way of
    /// sending one, e.g. `SENTINEL MASTERS`), as text pairs.
    public var fields: [(String, RESPValue)]? {
        switch self {
        case .map(let pairs):
            return pairs.compactMap { p in p.key.text.map { ($0, p.value) } }
        case .array(let a?) where a.count % 2 == 0:
            return stride(from: 0, to: a.count, by: 2).compactMap { i in a[i].text.map { ($0, a[i + 1]) } }
        default:
            return nil
        }
    }
}

public struct RESPPair: Sendable, Hashable {
    public var key: RESPValue
    public var value: RESPValue

    public init(_ key: RESPValue, _ value: RESPValue) {
        self.key = key
        self.value = value
    }
}

/// Why bytes are not RESP.
public struct RESPError: Error, Sendable, Hashable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The RESP parser: whole values out of a byte stream, however it was cut.
/// Bounded: a bulk string over `maxBulkBytes`, an aggregate of more than
/// `maxElements` or nested deeper than `maxDepth`, or a line over
/// `maxLineBytes` is an error, never an allocation.
public struct RESPParser: Sendable {
    public var maxBulkBytes = 64 << 20
    public var maxElements = 1 << 20
    public var maxDepth = 64
    public var maxLineBytes = 64 << 10

    public init() {}

    /// The next whole value, consumed from `buffer`; nil (and nothing
    /// consumed) when more bytes are needed.
    public func parse(_ buffer: inout ByteBuffer) throws(RESPError) -> RESPValue? {
        var copy = buffer
        guard let value = try parseValue(&copy, depth: 0) else { return nil }
        buffer = copy
        return value
    }

    private func line(_ b: inout ByteBuffer) throws(RESPError) -> String? {
        let view = b.readableBytesView
        guard let cr = view.firstIndex(of: UInt8(ascii: "\r")) else {
            if view.count > maxLineBytes { throw RESPError("a line longer than \(maxLineBytes) bytes") }
            return nil
        }
        let length = cr - view.startIndex
        if length > maxLineBytes { throw RESPError("a line longer than \(maxLineBytes) bytes") }
        guard view.count >= length + 2 else { return nil }
        guard view[cr + 1] == UInt8(ascii: "\n") else { throw RESPError("CR without LF") }
        let text = b.readString(length: length) ?? ""
        b.moveReaderIndex(forwardBy: 2)
        return text
    }

    private func integer(_ s: String) throws(RESPError) -> Int64 {
        guard let n = Int64(s) else { throw RESPError("not an integer: \(s.prefix(32))") }
        return n
    }

    private func count(_ s: String, _ what: String) throws(RESPError) -> Int {
        let n = try integer(s)
        guard n >= -1 else { throw RESPError("negative \(what) length \(n)") }
        return Int(n)
    }

    private func parseValue(_ b: inout ByteBuffer, depth: Int) throws(RESPError) -> RESPValue? {
        guard depth <= maxDepth else { throw RESPError("nested deeper than \(maxDepth)") }
        guard let type = b.readInteger(as: UInt8.self) else { return nil }
        guard let header = try line(&b) else { return nil }
        switch type {
        case UInt8(ascii: "+"): return .simple(header)
        case UInt8(ascii: "-"): return .error(header)
        case UInt8(ascii: ":"): return .integer(try integer(header))
        case UInt8(ascii: "_"): return .null
        case UInt8(ascii: "#"):
            guard header == "t" || header == "f" else { throw RESPError("a boolean that is neither t nor f") }
            return .boolean(header == "t")
        case UInt8(ascii: ","):
            guard let d = Double(header) ?? (header == "inf" ? .infinity : header == "-inf" ? -.infinity : nil) else {
                throw RESPError("not a double: \(header.prefix(32))")
            }
            return .double(d)
        case UInt8(ascii: "("):
            guard !header.isEmpty, header.drop(while: { $0 == "-" || $0 == "+" }).allSatisfy(\.isNumber) else {
                throw RESPError("not a big number")
            }
            return .bigNumber(header)
        case UInt8(ascii: "$"), UInt8(ascii: "="), UInt8(ascii: "!"):
            let n = try count(header, "bulk")
            if n == -1 {
                guard type == UInt8(ascii: "$") else { throw RESPError("a null that is not a bulk string") }
                return .bulk(nil)
            }
            guard n <= maxBulkBytes else { throw RESPError("a bulk string of \(n) bytes (limit \(maxBulkBytes))") }
            guard b.readableBytes >= n + 2 else { return nil }
            let bytes = b.readBytes(length: n) ?? []
            guard b.readInteger(as: UInt16.self) == 0x0D0A else { throw RESPError("a bulk string not ended by CRLF") }
            switch type {
            case UInt8(ascii: "!"): return .error(String(decoding: bytes, as: UTF8.self))
            case UInt8(ascii: "="):
                guard bytes.count >= 4, bytes[3] == UInt8(ascii: ":") else { throw RESPError("a verbatim string without its format") }
                return .verbatim(format: String(decoding: bytes[0..<3], as: UTF8.self), text: String(decoding: bytes[4...], as: UTF8.self))
            default: return .bulk(bytes)
            }
        case UInt8(ascii: "*"), UInt8(ascii: "~"), UInt8(ascii: ">"), UInt8(ascii: "%"), UInt8(ascii: "|"):
            let n = try count(header, "aggregate")
            if n == -1 {
                guard type == UInt8(ascii: "*") else { throw RESPError("a null that is not an array") }
                return .array(nil)
            }
            let isMap = type == UInt8(ascii: "%") || type == UInt8(ascii: "|")
            guard n <= maxElements else { throw RESPError("an aggregate of \(n) elements (limit \(maxElements))") }
            var items: [RESPValue] = []
            items.reserveCapacity(min(isMap ? n * 2 : n, 1_024))
            for _ in 0..<(isMap ? n * 2 : n) {
                guard let v = try parseValue(&b, depth: depth + 1) else { return nil }
                items.append(v)
            }
            switch type {
            case UInt8(ascii: "~"): return .set(items)
            case UInt8(ascii: ">"): return .push(items)
            case UInt8(ascii: "%"):
                return .map(stride(from: 0, to: items.count, by: 2).map { RESPPair(items[$0], items[$0 + 1]) })
            case UInt8(ascii: "|"):
                // Attributes describe the value that follows: the value is what counts.
                return try parseValue(&b, depth: depth + 1)
            default: return .array(items)
            }
        default:
            throw RESPError("unknown RESP type byte \(type)")
        }
    }

    /// A command as Redis reads it: an array of bulk strings.
    public static func encode(_ command: [String], into b: inout ByteBuffer) {
        encode(command.map { Array($0.utf8) }, into: &b)
    }

    /// The same with arguments as bytes (keys need not be UTF-8).
    public static func encode(_ command: [[UInt8]], into b: inout ByteBuffer) {
        b.writeString("*\(command.count)\r\n")
        for arg in command {
            b.writeString("$\(arg.count)\r\n")
            b.writeBytes(arg)
            b.writeString("\r\n")
        }
    }
}

/// The parser as a NIO decoder: one `RESPValue` per whole value received.
public struct RESPDecoder: ByteToMessageDecoder, Sendable {
    public typealias InboundOut = RESPValue
    let parser: RESPParser

    public init(parser: RESPParser = RESPParser()) { self.parser = parser }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let value = try parser.parse(&buffer) else { return .needMoreData }
        context.fireChannelRead(wrapInboundOut(value))
        return .continue
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        try decode(context: context, buffer: &buffer)
    }
}

/// Commands out: each an array of bulk strings.
public struct RESPCommandEncoder: MessageToByteEncoder, Sendable {
    public typealias OutboundIn = [[UInt8]]
    public init() {}
    public func encode(data: [[UInt8]], out: inout ByteBuffer) throws {
        RESPParser.encode(data, into: &out)
    }
}
