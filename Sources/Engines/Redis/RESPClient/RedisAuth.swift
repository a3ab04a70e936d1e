/// Redis credentials (`AUTH`): a password, or an ACL user and password.
/// Never printed or logged (the description says only that there are some).
public struct RedisAuth: Sendable, CustomStringConvertible {
    public var user: String?
    public var password: String

    public init(user: String?, password: String) {
        self.user = user
        self.password = password
    }

    /// `password` or `user:password`, as held in an environment variable.
    public init?(credentials: String) {
        guard !credentials.isEmpty else { return nil }
        if let colon = credentials.firstIndex(of: ":") {
            let user = String(credentials[..<colon])
            let password = String(credentials[credentials.index(after: colon)...])
            guard !password.isEmpty else { return nil }
            self.init(user: user.isEmpty ? nil : user, password: password)
        } else {
            self.init(user: nil, password: credentials)
        }
    }

    public var description: String { "RedisAuth(redacted)" }
}
