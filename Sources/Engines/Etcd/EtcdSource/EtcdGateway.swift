import AsyncHTTPClient
import ClusterProtocol
import EngineHTTP
import EtcdProtocol
import NIOCore
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

/// etcd's gRPC gateway over HTTP (`POST /v3/...`, JSON bodies), with a
/// deadline per call and, where credentials are given, the token etcd
/// hands out for them (asked again when it expires).
final class EtcdGateway: Sendable {
    let http: EngineHTTPClient
    let auth: EtcdAuth?
    private let token = Mutex<String?>(nil)

    init(client: HTTPClient, auth: EtcdAuth?) {
        http = EngineHTTPClient(client: client)
        self.auth = auth
    }

    /// `POST base + path` with `json`; with credentials, authenticated
    /// first, and once more when etcd says the token is no longer good.
    func call(_ base: String, _ path: String, json: String = "{}", timeout: TimeAmount) async throws -> HTTPAnswer {
        let answer = try await post(base + path, json, timeout, token: try await currentToken(base, timeout))
        guard auth != nil, answer.status == 401 || (EtcdParse.error(answer.body)?.contains("token") ?? false) else { return answer }
        token.withLock { $0 = nil }
        return try await post(base + path, json, timeout, token: try await currentToken(base, timeout))
    }

    /// `GET base + path` (`/metrics`).
    func get(_ base: String, _ path: String, timeout: TimeAmount) async throws -> HTTPAnswer {
        try await http.call(base + path, method: .GET, timeout: timeout)
    }

    private func post(_ url: String, _ json: String, _ timeout: TimeAmount, token: String?) async throws -> HTTPAnswer {
        try await http.call(url, method: .POST, json: json, headers: token.map { [("Authorization", $0)] } ?? [], timeout: timeout)
    }

    private func currentToken(_ base: String, _ timeout: TimeAmount) async throws -> String? {
        guard let auth else { return nil }
        if let t = token.withLock({ $0 }) { return t }
        let body = "{\"name\":\(Self.quoted(auth.user)),\"password\":\(Self.quoted(auth.password))}"
        let answer = try await post(base + "/v3/auth/authenticate", body, timeout, token: nil)
        guard answer.status == 200, let t = EtcdParse.token(answer.body) else {
            // etcd's words only (they never echo the password).
            throw HTTPFailure.status(answer.status, "authentication refused: \(EtcdParse.error(answer.body) ?? "no reason given")")
        }
        token.withLock { $0 = t }
        return t
    }

    static func quoted(_ s: String) -> String { JSONWriter.string(.string(s)) }
}
