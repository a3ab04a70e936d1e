import AsyncHTTPClient
import NIOCore

#if canImport(Glibc)
    import Glibc
#endif

/// Why a call to an engine's HTTP API failed, in the words an endpoint's
/// status shows.
public enum HTTPFailure: Error, CustomStringConvertible {
    case transport(String)
    case status(Int, String)
    case garbage(String)

    public var description: String {
        switch self {
        case .transport(let s): s
        case .status(let code, let text): "HTTP \(code)\(text.isEmpty ? "" : ": \(text)")"
        case .garbage(let s): s
        }
    }

    public var isGarbage: Bool { if case .garbage = self { true } else { false } }

    /// Any error of a call, for the operator.
    public static func words(_ error: any Error) -> String {
        if let f = error as? HTTPFailure { return f.description }
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
