import Foundation

/// JetStream's API, which is plain request/reply on `$JS.API.…` with JSON
/// bodies: only what clusterdash uses.
public struct JetStream: Sendable {
    public let connection: NATSConnection
    public var timeout: Duration

    public init(_ connection: NATSConnection, timeout: Duration = .seconds(5)) {
        self.connection = connection
        self.timeout = timeout
    }

    /// An API error (`{"error":{"code":404,"err_code":10059,"description":"stream not found"}}`).
    public struct APIError: Error, Sendable, Equatable, CustomStringConvertible {
        public var code: Int
        public var errCode: Int
        public var text: String
        public var description: String { "JetStream: \(text) (\(errCode))" }

        public static let streamNotFound = 10059
        public static let noMessageFound = 10037
        public static let streamNameInUse = 10058
        public static let insufficientResources = 10023
        public static let replicasTooMany = 10074
        public static let wrongLastSequence = 10071
    }

    /// Sends `body` to `$JS.API.<api>` and returns the answer's JSON object.
    public func call(_ api: String, _ body: [String: Any]? = nil) async throws -> [String: Any] {
        let payload = try body.map { try JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]) } ?? Data()
        let answer = try await connection.request("$JS.API.\(api)", payload: Array(payload), timeout: timeout)
        return try Self.object(answer.payload)
    }

    static func object(_ bytes: [UInt8]) throws -> [String: Any] {
        guard let json = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
            throw NATSError.invalid("JetStream answered something that is not a JSON object")
        }
        if let e = json["error"] as? [String: Any] {
            throw APIError(code: e["code"] as? Int ?? 0, errCode: e["err_code"] as? Int ?? 0, text: e["description"] as? String ?? "error")
        }
        return json
    }

    // MARK: Streams

    /// Creates the stream, or updates it to `config` when it exists.
    public func ensureStream(_ config: [String: Any]) async throws -> [String: Any] {
        guard let name = config["name"] as? String else { throw NATSError.invalid("a stream config without a name") }
        do {
            return try await call("STREAM.CREATE.\(name)", config)
        } catch let e as APIError where e.errCode == APIError.streamNameInUse {
            return try await call("STREAM.UPDATE.\(name)", config)
        }
    }

    public struct StreamState: Sendable {
        public var firstSeq: UInt64
        public var lastSeq: UInt64
        public var messages: UInt64
        public var bytes: UInt64
        /// When the stream was made (a recreated stream has a new one).
        public var created: String
        /// The stream's leader and its replicas (name, current, lag), for a clustered stream.
        public var leader: String?
        public var replicas: [(name: String, current: Bool, lag: UInt64)]
    }

    public func streamInfo(_ name: String) async throws -> StreamState {
        let info = try await call("STREAM.INFO.\(name)")
        let state = info["state"] as? [String: Any] ?? [:]
        let cluster = info["cluster"] as? [String: Any]
        let replicas = (cluster?["replicas"] as? [[String: Any]] ?? []).map { r in
            (name: r["name"] as? String ?? "?", current: r["current"] as? Bool ?? false, lag: Self.uint(r["lag"]))
        }
        return StreamState(
            firstSeq: Self.uint(state["first_seq"]), lastSeq: Self.uint(state["last_seq"]), messages: Self.uint(state["messages"]),
            bytes: Self.uint(state["bytes"]), created: info["created"] as? String ?? "", leader: cluster?["leader"] as? String,
            replicas: replicas)
    }

    /// Stream names, those holding `subject` when given.
    public func streamNames(subject: String? = nil) async throws -> [String] {
        let answer = try await call("STREAM.NAMES", subject.map { ["subject": $0] } ?? [:])
        return (answer["streams"] as? [String] ?? []).sorted()
    }

    public struct StoredMessage: Sendable {
        public var seq: UInt64
        public var subject: String
        public var headers: [NATSHeader]
        public var data: [UInt8]
    }

    /// The last message on `subject`; nil when there is none.
    public func lastMessage(stream: String, subject: String) async throws -> StoredMessage? {
        try await message(stream: stream, ["last_by_subj": subject])
    }

    /// The first message on `subject` at stream sequence `seq` or after; nil when there is none.
    public func nextMessage(stream: String, subject: String, from seq: UInt64) async throws -> StoredMessage? {
        try await message(stream: stream, ["seq": seq, "next_by_subj": subject])
    }

    /// The message at stream sequence `seq`; nil when there is none (deleted, or past the last).
    public func message(stream: String, seq: UInt64) async throws -> StoredMessage? {
        try await message(stream: stream, ["seq": seq])
    }

    private func message(stream: String, _ request: [String: Any]) async throws -> StoredMessage? {
        do {
            let answer = try await call("STREAM.MSG.GET.\(stream)", request)
            guard let m = answer["message"] as? [String: Any] else { return nil }
            let data = (m["data"] as? String).flatMap { Data(base64Encoded: $0) }.map { Array($0) } ?? []
            var headers: [NATSHeader] = []
            if let h = (m["hdrs"] as? String).flatMap({ Data(base64Encoded: $0) }) {
                var probe = NATSMessage(subject: "", sid: "", payload: [])
                try? NATSParser.readHeaders(Array(h), into: &probe)
                headers = probe.headers
            }
            return StoredMessage(seq: Self.uint(m["seq"]), subject: m["subject"] as? String ?? "", headers: headers, data: data)
        } catch let e as APIError where e.errCode == APIError.noMessageFound {
            return nil
        }
    }

    // MARK: Consumers

    /// Creates an ephemeral consumer; returns its name.
    public func createConsumer(stream: String, config: [String: Any]) async throws -> String {
        let answer = try await call("CONSUMER.CREATE.\(stream)", ["stream_name": stream, "config": config])
        guard let name = answer["name"] as? String else { throw NATSError.invalid("JetStream made a consumer without a name") }
        return name
    }

    public func deleteConsumer(stream: String, name: String) async throws {
        _ = try await call("CONSUMER.DELETE.\(stream).\(name)")
    }

    // MARK: Publishing

    /// The answer to a publish (`{"stream":"X","seq":12,"duplicate":true}`).
    public struct PubAck: Sendable, Equatable {
        public var stream: String
        public var seq: UInt64
        public var duplicate: Bool
    }

    public static func pubAck(_ payload: [UInt8]) throws -> PubAck {
        let json = try object(payload)
        return PubAck(stream: json["stream"] as? String ?? "", seq: uint(json["seq"]), duplicate: json["duplicate"] as? Bool ?? false)
    }

    /// Publishes and waits for the stream's acknowledgement.
    public func publish(_ subject: String, headers: [NATSHeader] = [], payload: [UInt8]) async throws -> PubAck {
        let answer = try await connection.request(subject, headers: headers, payload: payload, timeout: timeout)
        return try Self.pubAck(answer.payload)
    }

    static func uint(_ any: Any?) -> UInt64 {
        switch any {
        case let n as NSNumber: n.uint64Value
        case let i as Int: UInt64(max(0, i))
        default: 0
        }
    }

    /// Nanoseconds, as JetStream counts durations.
    public static func nanos(_ d: Duration) -> Int64 {
        d.components.seconds * 1_000_000_000 + d.components.attoseconds / 1_000_000_000
    }
}

/// Where a JetStream delivery sits in the stream, read from its reply subject
/// (`$JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<ts>.<pending>`,
/// or the longer form with a domain and an account hash).
public struct DeliveryInfo: Sendable, Equatable {
    public var streamSeq: UInt64
    public var consumerSeq: UInt64
    public var pending: UInt64

    /// `$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>`,
    /// or with `<domain>.<account hash>` before the stream and a token after
    /// (read as bytes: it comes with every message a reader gets).
    public init?(replySubject: String) {
        var subject = replySubject
        guard let (s, c, p) = subject.withUTF8({ Self.sequences(in: $0) }) else { return nil }
        streamSeq = s
        consumerSeq = c
        pending = p
    }

    static func sequences(in bytes: UnsafeBufferPointer<UInt8>) -> (UInt64, UInt64, UInt64)? {
        let dot = UInt8(ascii: ".")
        let tokens = bytes.count { $0 == dot } + 1
        guard tokens >= 9 else { return nil }
        let base = tokens == 9 ? 2 : 4
        guard tokens >= base + 7 else { return nil }
        var stream: UInt64?
        var consumer: UInt64?
        var pending: UInt64?
        var k = 0
        var start = 0
        for i in 0...bytes.count where i == bytes.count || bytes[i] == dot {
            let token = UnsafeBufferPointer(rebasing: bytes[start..<i])
            switch k {
            case 0: guard token.elementsEqual("$JS".utf8) else { return nil }
            case 1: guard token.elementsEqual("ACK".utf8) else { return nil }
            case base + 3: stream = NATSParser.decimal(token)
            case base + 4: consumer = NATSParser.decimal(token)
            case base + 6: pending = NATSParser.decimal(token)
            default: break
            }
            k += 1
            start = i + 1
        }
        guard let stream, let consumer, let pending else { return nil }
        return (stream, consumer, pending)
    }

}
