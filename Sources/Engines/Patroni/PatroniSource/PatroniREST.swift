import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// Basic auth for Patroni's REST API. Never printed, logged or shown: its
/// description says only that it is set.
public struct PatroniAuth: Sendable, Hashable, CustomStringConvertible {
    let header: String

    public init(username: String, password: String) {
        header = "Basic " + Data("\(username):\(password)".utf8).base64EncodedString()
    }

    /// `user:password` (the form `--patroni-auth-env` reads); nil without a colon.
    public init?(credentials: String) {
        guard let colon = credentials.firstIndex(of: ":") else { return nil }
        self.init(username: String(credentials[..<colon]), password: String(credentials[credentials.index(after: colon)...]))
    }

    public var description: String { "basic auth (set)" }
}

/// One HTTP answer: the status and the body, bounded.
struct HTTPAnswer: Sendable {
    var status: Int
    var body: [UInt8]
    var text: String { String(decoding: body, as: UTF8.self) }
}

/// Why a request failed, in the words the endpoint status shows.
enum RESTFailure: Error, CustomStringConvertible {
    case transport(String)
    case status(Int, String)
    case garbage(String)

    var description: String {
        switch self {
        case .transport(let s): s
        case .status(let code, let text): "HTTP \(code)\(text.isEmpty ? "" : ": \(text)")"
        case .garbage(let s): s
        }
    }

    static func words(_ error: any Error) -> String {
        if let f = error as? RESTFailure { return f.description }
        if let e = error as? HTTPClientError {
            if e == .connectTimeout { return "connect timed out" }
            if e == .readTimeout || e == .deadlineExceeded { return "no answer in time" }
            if e == .remoteConnectionClosed { return "closed by the server" }
            if e == .invalidURL || e == .emptyHost || e == .emptyScheme { return "invalid URL" }
        }
        if let e = error as? IOError {
            switch e.errnoCode {
            case ECONNREFUSED: return "refused"
            case ENETUNREACH, EHOSTUNREACH: return "unreachable"
            case ETIMEDOUT: return "timed out"
            default: return "\(e)"
            }
        }
        let text = "\(error)"
        if text.contains("refused") || text.contains("ECONNREFUSED") || text.contains("errno: 111") { return "refused" }
        if text.contains("NIOConnectionError") || text.contains("connect") { return "cannot connect" }
        return String(text.prefix(80))
    }
}

/// A count shared by reference (a `PatroniREST` is copied into tasks).
final class RequestCount: Sendable {
    let value = Atomic<Int>(0)
}

/// The few REST calls the connector makes, with a deadline each.
struct PatroniREST: Sendable {
    let client: HTTPClient
    let auth: PatroniAuth?
    /// Requests sent so far (the load this source puts on the cluster).
    let sent = RequestCount()
    /// Largest body read (a `/cluster` of hundreds of members is far smaller).
    static let maxBody = 4 << 20

    func get(_ url: String, timeout: TimeAmount) async throws -> HTTPAnswer {
        try await call(url, method: .GET, body: nil, timeout: timeout)
    }

    func post(_ url: String, json: String, timeout: TimeAmount) async throws -> HTTPAnswer {
        try await call(url, method: .POST, body: json, timeout: timeout)
    }

    func call(_ url: String, method: HTTPMethod, body: String?, timeout: TimeAmount) async throws -> HTTPAnswer {
        var req = HTTPClientRequest(url: url)
        req.method = method
        req.headers.add(name: "Accept", value: "application/json")
        if let auth { req.headers.add(name: "Authorization", value: auth.header) }
        if let body {
            req.headers.add(name: "Content-Type", value: "application/json")
            req.body = .bytes(ByteBuffer(string: body))
        }
        sent.value.add(1, ordering: .relaxed)
        let response = try await client.execute(req, timeout: timeout)
        var buffer = try await response.body.collect(upTo: Self.maxBody)
        let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
        return HTTPAnswer(status: Int(response.status.code), body: bytes)
    }
}
