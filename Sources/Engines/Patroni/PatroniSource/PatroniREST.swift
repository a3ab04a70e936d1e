import AsyncHTTPClient
import EngineHTTP
import Foundation
import NIOCore

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

/// The few REST calls the connector makes, with a deadline each.
struct PatroniREST: Sendable {
    let http: EngineHTTPClient
    let auth: PatroniAuth?

    init(client: HTTPClient, auth: PatroniAuth?) {
        http = EngineHTTPClient(client: client)
        self.auth = auth
    }

    func get(_ url: String, timeout: TimeAmount) async throws -> HTTPAnswer {
        try await http.call(url, method: .GET, headers: headers, timeout: timeout)
    }

    func post(_ url: String, json: String, timeout: TimeAmount) async throws -> HTTPAnswer {
        try await http.call(url, method: .POST, json: json, headers: headers, timeout: timeout)
    }

    var headers: [(String, String)] { auth.map { [("Authorization", $0.header)] } ?? [] }
}
