import NIOCore

/// A header of an `HMSG`, in wire order (a name may repeat).
public struct NATSHeader: Sendable, Hashable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// One message delivered to a subscription (`MSG` or `HMSG`).
public struct NATSMessage: Sendable, Hashable {
    public var subject: String
    public var sid: String
    public var replyTo: String?
    /// The status of an `HMSG` whose header line carries one (`NATS/1.0 503`
    /// is "no responders", `100` a heartbeat or a flow-control request).
    public var status: Int?
    public var statusText: String?
    public var headers: [NATSHeader]
    public var payload: [UInt8]

    public init(
        subject: String, sid: String, replyTo: String? = nil, status: Int? = nil, statusText: String? = nil, headers: [NATSHeader] = [],
        payload: [UInt8]
    ) {
        self.subject = subject
        self.sid = sid
        self.replyTo = replyTo
        self.status = status
        self.statusText = statusText
        self.headers = headers
        self.payload = payload
    }

    /// The first header of that name (case-insensitive, as NATS reads them).
    public func header(_ name: String) -> String? {
        if let exact = headers.first(where: { $0.name == name }) { return exact.value }
        let lower = name.lowercased()
        return headers.first { $0.name.lowercased() == lower }?.value
    }
}

/// What the server sends.
public enum NATSServerOp: Sendable, Hashable {
    /// `INFO {json}`: the JSON text.
    case info(String)
    case message(NATSMessage)
    case ping
    case pong
    case ok
    /// `-ERR 'text'`: the text without its quotes.
    case err(String)
}

/// Why bytes are not the NATS protocol.
public struct NATSProtocolError: Error, Sendable, Hashable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The NATS client protocol's server half, read from a byte stream however it
/// was cut (a TCP read, a WebSocket frame: NATS's WebSocket listener cuts
/// anywhere). Whole operations out; an incomplete one stays in the buffer.
/// Bounded: a control line longer than `maxControlLine` or a payload larger
/// than `maxPayload` is an error, never a buffer that grows.
public struct NATSParser: Sendable {
    public var maxControlLine: Int
    public var maxPayload: Int

    public init(maxControlLine: Int = 4_096, maxPayload: Int = 64 << 20) {
        self.maxControlLine = maxControlLine
        self.maxPayload = maxPayload
    }

    /// The next operation, or nil (the buffer untouched) when it is not all there.
    public func parse(_ buffer: inout ByteBuffer) throws(NATSProtocolError) -> NATSServerOp? {
        let start = buffer.readerIndex
        guard let lineEnd = Self.crlf(in: buffer, from: start, limit: maxControlLine + 2) else {
            if buffer.readableBytes > maxControlLine + 2 { throw NATSProtocolError("a control line longer than \(maxControlLine) bytes") }
            return nil
        }
        let lineLength = lineEnd - start
        guard lineLength <= maxControlLine else { throw NATSProtocolError("a control line longer than \(maxControlLine) bytes") }
        let line = buffer.getBytes(at: start, length: lineLength) ?? []
        let afterLine = lineEnd + 2
        let (word, rest) = Self.verb(line)
        let kind = Verb(word)
        switch kind {
        case .ping:
            buffer.moveReaderIndex(to: afterLine)
            return .ping
        case .pong:
            buffer.moveReaderIndex(to: afterLine)
            return .pong
        case .ok:
            buffer.moveReaderIndex(to: afterLine)
            return .ok
        case .err:
            buffer.moveReaderIndex(to: afterLine)
            var text = Self.trimmed(rest)
            if text.count >= 2, text.first == 39, text.last == 39 { text = text.dropFirst().dropLast() }
            return .err(Self.text(text))
        case .info:
            buffer.moveReaderIndex(to: afterLine)
            return .info(Self.text(Self.trimmed(rest)))
        case .msg, .hmsg:
            let verb = Self.text(word)
            let args = Self.fields(rest)
            let withHeaders = kind == .hmsg
            let counts = withHeaders ? 2 : 1
            guard args.count == 2 + counts || args.count == 3 + counts else {
                throw NATSProtocolError("\(verb) with \(args.count) fields")
            }
            let subject = Self.text(args[0])
            let sid = Self.text(args[1])
            let replyTo = args.count == 3 + counts ? Self.text(args[2]) : nil
            guard let total = Self.size(args[args.count - 1]), total <= maxPayload else {
                throw NATSProtocolError("\(verb) with a size that is not 0...\(maxPayload): \(Self.text(args[args.count - 1].prefix(20)))")
            }
            var headerBytes = 0
            if withHeaders {
                guard let h = Self.size(args[args.count - 2]), h <= total else {
                    throw NATSProtocolError("HMSG with a header size that is not 0...\(total)")
                }
                headerBytes = h
            }
            // The payload and its CRLF must all be there.
            guard buffer.writerIndex - afterLine >= total + 2 else { return nil }
            guard buffer.getInteger(at: afterLine + total, as: UInt8.self) == 13, buffer.getInteger(at: afterLine + total + 1, as: UInt8.self) == 10
            else { throw NATSProtocolError("\(verb) payload not followed by CRLF") }
            var message = NATSMessage(subject: subject, sid: sid, replyTo: replyTo, payload: [])
            if withHeaders {
                let block = buffer.getBytes(at: afterLine, length: headerBytes) ?? []
                try Self.readHeaders(block, into: &message)
            }
            message.payload = buffer.getBytes(at: afterLine + headerBytes, length: total - headerBytes) ?? []
            buffer.moveReaderIndex(to: afterLine + total + 2)
            return .message(message)
        case nil:
            throw NATSProtocolError("unknown operation \(Self.text(word.prefix(16)))")
        }
    }

    /// The operations a server sends, by their word (any case).
    enum Verb {
        case ping, pong, ok, err, info, msg, hmsg

        init?(_ word: ArraySlice<UInt8>) {
            for (verb, name) in Self.names where NATSParser.equalsUppercased(word, name) {
                self = verb
                return
            }
            return nil
        }

        // MSG first: it is nearly every operation.
        static let names: [(Verb, [UInt8])] = [
            (.msg, Array("MSG".utf8)), (.hmsg, Array("HMSG".utf8)), (.ping, Array("PING".utf8)), (.pong, Array("PONG".utf8)),
            (.ok, Array("+OK".utf8)), (.err, Array("-ERR".utf8)), (.info, Array("INFO".utf8)),
        ]
    }

    /// Whether `word`, its ASCII letters uppercased, is `upper`.
    static func equalsUppercased(_ word: ArraySlice<UInt8>, _ upper: [UInt8]) -> Bool {
        guard word.count == upper.count else { return false }
        for (c, u) in zip(word, upper) where (c >= 97 && c <= 122 ? c - 32 : c) != u { return false }
        return true
    }

    /// A size field: decimal digits only, within Int.
    static func size(_ digits: ArraySlice<UInt8>) -> Int? { decimal(digits).flatMap { Int(exactly: $0) } }

    /// Decimal digits only (no sign, none empty), within UInt64: the
    /// protocol's numbers (sizes, JetStream's sequences), read as bytes.
    public static func decimal(_ digits: some Collection<UInt8>) -> UInt64? {
        guard !digits.isEmpty else { return nil }
        var n: UInt64 = 0
        for d in digits {
            guard d >= 48, d <= 57 else { return nil }
            let (times, o1) = n.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times.addingReportingOverflow(UInt64(d - 48))
            guard !o1, !o2 else { return nil }
            n = sum
        }
        return n
    }

    /// Without the spaces and tabs at either end.
    static func trimmed(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var t = bytes
        while let f = t.first, f == 32 || f == 9 { t = t.dropFirst() }
        while let l = t.last, l == 32 || l == 9 { t = t.dropLast() }
        return t
    }

    // MARK: Pieces

    /// Where the next CRLF starts, searching at most `limit` bytes.
    static func crlf(in buffer: ByteBuffer, from start: Int, limit: Int) -> Int? {
        let end = min(buffer.writerIndex, start + limit)
        return buffer.withUnsafeReadableBytes { raw -> Int? in
            let base = start - buffer.readerIndex
            var i = base
            while i + 1 < end - buffer.readerIndex {
                if raw[i] == 13, raw[i + 1] == 10 { return i + buffer.readerIndex }
                i += 1
            }
            return nil
        }
    }

    /// The operation's word (as sent) and the rest of the line.
    static func verb(_ line: [UInt8]) -> (ArraySlice<UInt8>, ArraySlice<UInt8>) {
        var i = 0
        while i < line.count, line[i] != 32, line[i] != 9 { i += 1 }
        return (line[0..<i], line[i...])
    }

    static func text(_ bytes: ArraySlice<UInt8>) -> String { String(decoding: bytes, as: UTF8.self) }

    /// Fields split on runs of spaces and tabs (a server's MSG line can hold two spaces).
    static func fields(_ bytes: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
        bytes.split(whereSeparator: { $0 == 32 || $0 == 9 })
    }

    /// `NATS/1.0[ status[ text]]\r\n` then `Name: value\r\n` lines, then `\r\n`
    /// (read as bytes: a JetStream delivery carries headers on every message).
    public static func readHeaders(_ block: [UInt8], into message: inout NATSMessage) throws(NATSProtocolError) {
        var lines: [ArraySlice<UInt8>] = []
        var start = 0
        var i = 0
        while i + 1 < block.count {
            if block[i] == 13, block[i + 1] == 10 {
                lines.append(block[start..<i])
                i += 2
                start = i
            } else {
                i += 1
            }
        }
        if start < block.count { lines.append(block[start...]) }
        guard let first = lines.first, first.starts(with: Self.natsSlash) else {
            throw NATSProtocolError("HMSG headers without a NATS/1.0 line")
        }
        let statusFields = first.split(separator: 32, maxSplits: 2, omittingEmptySubsequences: true)
        if statusFields.count >= 2, let code = Int(String(decoding: statusFields[1], as: UTF8.self)) {
            message.status = code
            if statusFields.count == 3 { message.statusText = String(decoding: statusFields[2], as: UTF8.self) }
        }
        for line in lines.dropFirst() where !line.isEmpty {
            guard let colon = line.firstIndex(of: 58) else { continue }
            let name = text(trimmed(line[..<colon]))
            let value = text(trimmed(line[(colon + 1)...]))
            message.headers.append(NATSHeader(name, value))
        }
    }

    static let natsSlash: [UInt8] = Array("NATS/".utf8)
}

/// The parser in a channel pipeline (the TCP transport).
public struct NATSDecoder: ByteToMessageDecoder, Sendable {
    public typealias InboundOut = NATSServerOp
    let parser: NATSParser

    public init(parser: NATSParser = NATSParser()) { self.parser = parser }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let op = try parser.parse(&buffer) else { return .needMoreData }
        context.fireChannelRead(wrapInboundOut(op))
        return .continue
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        try decode(context: context, buffer: &buffer)
    }
}

/// What the client sends, encoded.
public enum NATSClientOps {
    public static func pub(subject: String, replyTo: String?, headers: [NATSHeader], payload: [UInt8], into out: inout ByteBuffer) {
        if headers.isEmpty {
            out.writeString("PUB \(subject) \(replyTo.map { "\($0) " } ?? "")\(payload.count)\r\n")
        } else {
            var block = "NATS/1.0\r\n"
            for h in headers { block += "\(h.name): \(h.value)\r\n" }
            block += "\r\n"
            let h = block.utf8.count
            out.writeString("HPUB \(subject) \(replyTo.map { "\($0) " } ?? "")\(h) \(h + payload.count)\r\n")
            out.writeString(block)
        }
        out.writeBytes(payload)
        out.writeStaticString("\r\n")
    }

    public static func sub(subject: String, queue: String?, sid: String, into out: inout ByteBuffer) {
        out.writeString("SUB \(subject) \(queue.map { "\($0) " } ?? "")\(sid)\r\n")
    }

    public static func unsub(sid: String, into out: inout ByteBuffer) {
        out.writeString("UNSUB \(sid)\r\n")
    }

    /// Whether `subject` may be published to: tokens of printable ASCII
    /// without spaces, none empty.
    public static func isValidSubject(_ subject: String, wildcards: Bool = false) -> Bool {
        guard !subject.isEmpty, subject.utf8.count <= 1_024 else { return false }
        for token in subject.split(separator: ".", omittingEmptySubsequences: false) {
            guard !token.isEmpty else { return false }
            if !wildcards, token == "*" || token == ">" { return false }
            for b in token.utf8 where b <= 32 || b >= 127 { return false }
        }
        return true
    }
}
