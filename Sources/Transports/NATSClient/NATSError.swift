/// Why a NATS exchange failed.
public enum NATSError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The connection is gone (the server's last `-ERR`, if any, says why).
    case closed(String)
    case timedOut(String)
    /// A request nobody subscribes to (the server's immediate 503).
    case noResponders(String)
    /// The server refused the connection (`-ERR 'Authorization Violation'`).
    case refused(String)
    case invalid(String)

    public var description: String {
        switch self {
        case .closed(let why): "connection closed (\(why))"
        case .timedOut(let what): "no answer to \(what) in time"
        case .noResponders(let subject): "no responders on \(subject)"
        case .refused(let why): "refused by the server: \(why)"
        case .invalid(let why): why
        }
    }
}
