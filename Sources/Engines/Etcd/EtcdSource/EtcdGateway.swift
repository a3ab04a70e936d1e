import AsyncHTTPClient
import ClusterProtocol
import EtcdProtocol
import EtcdRules
import NIOCore
import NIOHTTP1
import Synchronization

/// etcd's credentials (its own users, `auth enable`). Never printed,
/// logged or shown: its description says only that they are set.
public struct EtcdAuth: Sendable, Hashable, CustomStringConvertible {
    let user: String
    let password: String

    public init(user: String, password: String) {
        self.user = user
        self.password = password
    }

    public var description: String { "etcd credentials (set)" }
}

/// One answer of the gateway: the status and the body, bounded.
struct EtcdAnswer: Sendable {
    var status: Int
    var body: [UInt8]
    var text: String { String(decoding: body, as: UTF8.self) }
}

/// Why a call failed, in the words the endpoint status shows.
enum EtcdCallFailure: Error, CustomStringConvertible {
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
        if let f = error as? EtcdCallFailure { return f.description }
        if let e = error as? HTTPClientError {
            if e == .connectTimeout { return "connect timed out" }
            if e == .readTimeout || e == .deadlineExceeded { return "no answer in time" }
            if e == .remoteConnectionClosed { return "closed by the server" }
        }
        let text = "\(error)"
        if text.contains("refused") || text.contains("errno: 111") { return "refused" }
        if text.contains("NIOConnectionError") || text.contains("connect") { return "cannot connect" }
        return String(text.prefix(80))
    }
}

/// etcd's gRPC gateway over HTTP (`POST /v3/...`, JSON bodies), with a
/// deadline per call and, where credentials are given, the token etcd
/// hands out for them (asked again when it expires).
final class EtcdGateway: Sendable {
    let client: HTTPClient
    let auth: EtcdAuth?
    /// Calls sent so far (this source's load on the cluster).
    let sent = Atomic<Int>(0)
    private let token = Mutex<String?>(nil)
    /// `/metrics` is about 160 KB; a status far less.
    static let maxBody = 4 << 20

    init(client: HTTPClient, auth: EtcdAuth?) {
        self.client = client
        self.auth = auth
    }

    /// `POST base + path` with `json`; with credentials, authenticated
    /// first, and once more when etcd says the token is no longer good.
    func call(_ base: String, _ path: String, json: String = "{}", timeout: TimeAmount) async throws -> EtcdAnswer {
        let answer = try await request(base + path, method: .POST, body: json, timeout: timeout, token: try await currentToken(base, timeout))
        guard auth != nil, answer.status == 401 || (EtcdParse.error(answer.body)?.contains("token") ?? false) else { return answer }
        token.withLock { $0 = nil }
        return try await request(base + path, method: .POST, body: json, timeout: timeout, token: try await currentToken(base, timeout))
    }

    /// `GET base + path` (`/metrics`, `/health`).
    func get(_ base: String, _ path: String, timeout: TimeAmount) async throws -> EtcdAnswer {
        try await request(base + path, method: .GET, body: nil, timeout: timeout, token: nil)
    }

    private func currentToken(_ base: String, _ timeout: TimeAmount) async throws -> String? {
        guard let auth else { return nil }
        if let t = token.withLock({ $0 }) { return t }
        let body = "{\"name\":\(Self.quoted(auth.user)),\"password\":\(Self.quoted(auth.password))}"
        let answer = try await request(base + "/v3/auth/authenticate", method: .POST, body: body, timeout: timeout, token: nil)
        guard answer.status == 200, let t = EtcdParse.token(answer.body) else {
            // etcd's words only (they never echo the password).
            throw EtcdCallFailure.status(answer.status, "authentication refused: \(EtcdParse.error(answer.body) ?? "no reason given")")
        }
        token.withLock { $0 = t }
        return t
    }

    private func request(_ url: String, method: HTTPMethod, body: String?, timeout: TimeAmount, token: String?) async throws -> EtcdAnswer {
        var req = HTTPClientRequest(url: url)
        req.method = method
        if let token { req.headers.add(name: "Authorization", value: token) }
        if let body {
            req.headers.add(name: "Content-Type", value: "application/json")
            req.body = .bytes(ByteBuffer(string: body))
        }
        sent.add(1, ordering: .relaxed)
        let response = try await client.execute(req, timeout: timeout)
        var buffer = try await response.body.collect(upTo: Self.maxBody)
        return EtcdAnswer(status: Int(response.status.code), body: buffer.readBytes(length: buffer.readableBytes) ?? [])
    }

    static func quoted(_ s: String) -> String { JSONWriter.string(.string(s)) }
}
