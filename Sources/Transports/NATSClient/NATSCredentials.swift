import Foundation

/// Who connects: a user and password, or a token. Never printed or logged.
public struct NATSCredentials: Sendable, Hashable, CustomStringConvertible {
    public var user: String?
    public var password: String?
    public var token: String?

    public init(user: String? = nil, password: String? = nil, token: String? = nil) {
        self.user = user
        self.password = password
        self.token = token
    }

    public var isEmpty: Bool { user == nil && password == nil && token == nil }
    public var description: String { isEmpty ? "none" : "(credentials)" }

    /// `CLUSTERDASH_NATS_USER` / `_PASSWORD` or `CLUSTERDASH_NATS_TOKEN`.
    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) -> NATSCredentials {
        NATSCredentials(user: env["CLUSTERDASH_NATS_USER"], password: env["CLUSTERDASH_NATS_PASSWORD"], token: env["CLUSTERDASH_NATS_TOKEN"])
    }

    /// From a variable's value (a config's `auth_env`): `user:password`, or
    /// a token (no colon).
    public init(authValue value: String) {
        if let colon = value.firstIndex(of: ":") {
            self.init(user: String(value[..<colon]), password: String(value[value.index(after: colon)...]))
        } else {
            self.init(token: value)
        }
    }
}
