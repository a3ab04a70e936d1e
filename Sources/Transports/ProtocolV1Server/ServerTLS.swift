import NIOSSL

/// A server's TLS from `--tls-cert` and `--tls-key` (PEM files), checked
/// before anything listens: an unreadable file, a file that is not PEM, or a
/// key that does not belong to the certificate is an error naming the flag
/// and the file, never a server that falls back to plain `ws://`.
public enum ServerTLS {
    public static func configuration(certFile: String, keyFile: String) throws(ServerTLSError) -> TLSConfiguration {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certFile)
        } catch {
            throw ServerTLSError("--tls-cert \(certFile): not a readable PEM certificate (\(error))")
        }
        guard !chain.isEmpty else { throw ServerTLSError("--tls-cert \(certFile): no certificate in the file") }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: keyFile, format: .pem)
        } catch {
            throw ServerTLSError("--tls-key \(keyFile): not a readable PEM private key (\(error))")
        }
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        do {
            _ = try NIOSSLContext(configuration: configuration)
        } catch {
            throw ServerTLSError("--tls-key \(keyFile) does not go with --tls-cert \(certFile) (\(error))")
        }
        return configuration
    }
}

public struct ServerTLSError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
