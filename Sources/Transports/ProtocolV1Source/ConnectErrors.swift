import NIOCore
import NIOPosix
import NIOSSL
import WSClient

#if canImport(Glibc)
    import Glibc
#endif

/// Why a connection attempt failed, in the words an operator needs: refused,
/// no such host, unreachable, timed out, TLS (untrusted, wrong name), closed.
/// The dashboard shows it beside the next retry whenever nothing is live.
enum ConnectErrors {
    static func describe(_ error: any Error, host: String?) -> String {
        if let e = error as? NIOConnectionError {
            if let failure = e.connectionErrors.first {
                return describe(failure.error, host: host)
            }
            if e.dnsAError != nil || e.dnsAAAAError != nil { return "no such host \(e.host)" }
            return "no address for \(e.host)"
        }
        if let e = error as? IOError { return describe(errno: e.errnoCode) ?? "I/O error: \(e.description.prefix(80))" }
        if let e = error as? ChannelError {
            switch e {
            case .connectTimeout: return "connect timed out"
            case .eof, .ioOnClosedChannel, .alreadyClosed, .outputClosed, .inputClosed: return "closed by the server"
            default: return "connection error: \(String(describing: e).prefix(80))"
            }
        }
        if let e = error as? SocketAddressError.UnknownHost { return "no such host \(e.host)" }
        if let e = error as? SocketAddressError {
            if case .unknown(let h, _) = e { return "no such host \(h)" }
            return "bad address: \(String(describing: e).prefix(80))"
        }
        if let e = error as? NIOSSLExtraError {
            if e == .failedToValidateHostname || e == .serverHostnameImpossibleToMatch {
                return "TLS: the certificate is not for \(host ?? "this host")"
            }
            return "TLS: \(e.description.prefix(100))"
        }
        if let e = error as? NIOSSLError {
            let text = String(describing: e)
            if text.contains("CERTIFICATE_VERIFY_FAILED") { return "TLS: certificate not trusted (no CA vouches for it; --ca-file?)" }
            if text.contains("WRONG_VERSION_NUMBER") || text.contains("PACKET_LENGTH_TOO_LONG") {
                return "TLS: the server does not speak TLS (ws:// instead of wss://?)"
            }
            if case .uncleanShutdown = e { return "TLS: closed by the server during the handshake" }
            return "TLS: \(text.prefix(100))"
        }
        if let e = error as? WebSocketClientError {
            if e == .webSocketUpgradeFailed { return "WebSocket upgrade refused" }
            if e == .invalidURL { return "invalid URL" }
        }
        return String(describing: error).prefix(120).description
    }

    static func describe(errno code: Int32) -> String? {
        switch code {
        case ECONNREFUSED: "connection refused"
        case ETIMEDOUT: "connect timed out"
        case EHOSTUNREACH: "host unreachable"
        case ENETUNREACH: "network unreachable"
        case ECONNRESET: "connection reset by the server"
        case EPIPE: "closed by the server"
        case EADDRNOTAVAIL: "address not available"
        default: nil
        }
    }
}
