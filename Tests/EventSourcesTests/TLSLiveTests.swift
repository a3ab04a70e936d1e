import ClusterProtocol
import ClusterState
import ClusterdashTesting
import EventSources
import Foundation
import NIOSSL
import ProtocolV1Server
import Simulator
import Testing

@testable import ProtocolV1Source

/// A private CA and server certificates made with openssl (Debian's), in a
/// folder of their own, for one test run.
struct TestPKI {
    let dir: URL
    var ca: String { dir.appendingPathComponent("ca.pem").path }

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("clusterdash-pki-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try openssl(
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
            "-days", "2", "-subj", "/CN=clusterdash test CA", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    }

    /// A server certificate signed by the CA (or self-signed), for `names`
    /// (`DNS:localhost`, `IP:127.0.0.1`); returns (cert, key) paths.
    func server(_ name: String, names: String, selfSigned: Bool = false) throws -> (cert: String, key: String) {
        let ext = "subjectAltName=\(names)\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n"
        try ext.write(to: dir.appendingPathComponent("\(name).ext"), atomically: true, encoding: .utf8)
        try openssl(
            "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "\(name).key", "-out", "\(name).csr",
            "-subj", "/CN=\(name)")
        if selfSigned {
            try openssl(
                "x509", "-req", "-in", "\(name).csr", "-signkey", "\(name).key", "-out", "\(name).pem", "-days", "2", "-extfile", "\(name).ext")
        } else {
            try openssl(
                "x509", "-req", "-in", "\(name).csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "\(name).pem",
                "-days", "2", "-extfile", "\(name).ext")
        }
        return (dir.appendingPathComponent("\(name).pem").path, dir.appendingPathComponent("\(name).key").path)
    }

    func remove() { try? FileManager.default.removeItem(at: dir) }

    private func openssl(_ arguments: String...) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        p.arguments = arguments
        p.currentDirectoryURL = dir
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let message = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw TestTimeout(what: "openssl \(arguments.joined(separator: " "))", received: 0, lastTypes: [String(decoding: message, as: UTF8.self)])
        }
    }
}

/// Waits until the source's first endpoint is live; fails with its status.
func waitLive(_ source: WebSocketSource, timeout: Duration = .seconds(15)) async throws {
    let deadline = ContinuousClock.now.advanced(by: timeout)
    while ContinuousClock.now < deadline {
        if source.statuses[0].isLive { return }
        try await Task.sleep(for: .milliseconds(10))
    }
    throw TestTimeout(what: "live", received: 0, lastTypes: ["\(source.statuses)"])
}

/// `wss://` end to end (issue 15): the simulator serves TLS with
/// `--tls-cert/--tls-key`; the dashboard's source trusts a private CA with
/// `--ca-file`, connects to a bare IP address, and refuses an untrusted
/// certificate or one for another name with a status that says so.
@Suite(.serialized) struct TLSLiveTests {
    func serve(_ cert: (cert: String, key: String)) async throws -> SimulatorServer {
        let tls = try ServerTLS.configuration(certFile: cert.cert, keyFile: cert.key)
        return try await SimulatorServer.start(simulation: simConfig(), options: serverOptions { $0.tls = tls }, logger: quiet())
    }

    func connect(_ url: String, caFile: String?, serverName: String? = nil, token: String? = nil) -> WebSocketSource {
        var policy = fastPolicy()
        policy.connectTimeoutMillis = 2_000
        let source = WebSocketSource(
            endpoints: [EndpointConfig(url: url, token: token, caFile: caFile, tlsServerName: serverName)], policy: policy, clock: wallClockNow,
            logger: quiet())
        source.start()
        return source
    }

    @Test func aTrustedCertificateConnectsByNameAndByBareIP() async throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        let server = try await serve(try pki.server("both", names: "DNS:localhost,IP:127.0.0.1"))
        defer { Task { await server.stop() } }
        #expect(server.url.hasPrefix("wss://"))
        for url in ["wss://localhost:\(server.port)/v1/stream", "wss://127.0.0.1:\(server.port)/v1/stream"] {
            let source = connect(url, caFile: pki.ca)
            try await waitLive(source)
            // Found here: stopping waited NIOSSL's 5 s for a close_notify
            // the server never sends, so quitting a wss:// dashboard hung.
            let stopping = ContinuousClock.now
            await source.stop()
            #expect(ContinuousClock.now - stopping < .seconds(2), "stopping a wss:// source took \(ContinuousClock.now - stopping)")
        }
    }

    @Test func anUntrustedCertificateIsRefusedAndSaysSo() async throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        // Signed by our CA, but the client is not given it.
        let server = try await serve(try pki.server("both", names: "DNS:localhost,IP:127.0.0.1"))
        defer { Task { await server.stop() } }
        let noCA = connect("wss://localhost:\(server.port)/v1/stream", caFile: nil)
        let reason = try await firstFailure(of: noCA)
        await noCA.stop()
        #expect(reason.hasPrefix("TLS: certificate not trusted"), "\(reason)")
        // Self-signed, not by the CA given.
        let selfSigned = try await serve(try pki.server("self", names: "DNS:localhost,IP:127.0.0.1", selfSigned: true))
        defer { Task { await selfSigned.stop() } }
        let other = connect("wss://localhost:\(selfSigned.port)/v1/stream", caFile: pki.ca)
        let reason2 = try await firstFailure(of: other)
        await other.stop()
        #expect(reason2.hasPrefix("TLS: certificate not trusted"), "\(reason2)")
    }

    @Test func aHostnameMismatchIsRefused() async throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        let server = try await serve(try pki.server("other", names: "DNS:other.example"))
        defer { Task { await server.stop() } }
        let byName = connect("wss://localhost:\(server.port)/v1/stream", caFile: pki.ca)
        let reason = try await firstFailure(of: byName)
        await byName.stop()
        #expect(reason.hasPrefix("TLS: the certificate is not for localhost"), "\(reason)")
        // A bare IP address is checked against the certificate's IP entries:
        // this one has none, so the IP is refused too.
        let byIP = connect("wss://127.0.0.1:\(server.port)/v1/stream", caFile: pki.ca)
        let reason2 = try await firstFailure(of: byIP)
        await byIP.stop()
        #expect(reason2.hasPrefix("TLS: the certificate is not for"), "\(reason2)")
    }

    @Test func aBareIPWithTheServersNameConnects() async throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        // A certificate for a name only, reached by IP: --tls-server-name.
        let server = try await serve(try pki.server("named", names: "DNS:gateway.internal"))
        defer { Task { await server.stop() } }
        let source = connect("wss://127.0.0.1:\(server.port)/v1/stream", caFile: pki.ca, serverName: "gateway.internal")
        try await waitLive(source)
        await source.stop()
        let wrong = connect("wss://127.0.0.1:\(server.port)/v1/stream", caFile: pki.ca, serverName: "db.internal")
        let reason = try await firstFailure(of: wrong)
        await wrong.stop()
        #expect(reason.hasPrefix("TLS: the certificate is not for"), "\(reason)")
    }

    @Test func aTokenTravelsOverTLSAndAWrongOneIsUnauthorized() async throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        let both = try pki.server("both", names: "DNS:localhost,IP:127.0.0.1")
        var options = serverOptions()
        options.tls = try ServerTLS.configuration(certFile: both.cert, keyFile: both.key)
        options.readToken = "sekrit-read"
        let server = try await SimulatorServer.start(simulation: simConfig(), options: options, logger: quiet())
        defer { Task { await server.stop() } }
        let good = connect(server.url, caFile: pki.ca, token: "sekrit-read")
        try await waitLive(good)
        await good.stop()
        let bad = connect(server.url, caFile: pki.ca, token: "wrong")
        let deadline = ContinuousClock.now.advanced(by: .seconds(15))
        var unauthorized = false
        while ContinuousClock.now < deadline, !unauthorized {
            if case .unauthorized = bad.statuses[0] { unauthorized = true } else { try await Task.sleep(for: .milliseconds(10)) }
        }
        await bad.stop()
        #expect(unauthorized, "\(bad.statuses)")
    }

    @Test func aBadCertificateOrKeyIsAnErrorNamingTheFile() throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        let one = try pki.server("one", names: "DNS:localhost")
        let two = try pki.server("two", names: "DNS:localhost")
        #expect(throws: ServerTLSError.self) { try ServerTLS.configuration(certFile: "/nonexistent/cert.pem", keyFile: one.key) }
        do {
            _ = try ServerTLS.configuration(certFile: "/nonexistent/cert.pem", keyFile: one.key)
        } catch {
            #expect(error.description.hasPrefix("--tls-cert /nonexistent/cert.pem:"), "\(error)")
        }
        do {
            _ = try ServerTLS.configuration(certFile: one.cert, keyFile: one.cert)
            Issue.record("a certificate given as the key was accepted")
        } catch {
            #expect(error.description.hasPrefix("--tls-key \(one.cert):"), "\(error)")
        }
        do {
            _ = try ServerTLS.configuration(certFile: one.cert, keyFile: two.key)
            Issue.record("a key of another certificate was accepted")
        } catch {
            #expect(error.description.contains("does not go with --tls-cert \(one.cert)"), "\(error)")
        }
    }
}
