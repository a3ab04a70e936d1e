import ClusterProtocol
import ClusterState
import ClusterdashTesting
import EventSources
import Foundation
import Testing

@testable import PatroniSource

#if canImport(Glibc)
    import Glibc
#endif

// Members that refuse, never answer, or answer HTML, given before a real one:
// part of PatroniLiveTests (one suite, one test at a time).
extension PatroniLiveTests {
    /// A listening socket that never accepts: a connection is made, and no
    /// answer ever comes.
    func silentListener() throws -> (fd: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        try #require(bound == 0 && listen(fd, 16) == 0)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return (fd, Int(UInt16(bigEndian: addr.sin_port)))
    }

    @Test("members that refuse, never answer or answer HTML: each endpoint says why, the next one is asked, the view is still /cluster's")
    func badEndpointsBeforeAGoodOne() async throws {
        let view = try await waitHealthy(60)
        // An HTTP server that answers /cluster with an HTML page (200): Python's own.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cd-html-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try "<html><body><h1>502 Bad Gateway</h1></body></html>\n".write(to: dir.appendingPathComponent("cluster"), atomically: true, encoding: .utf8)
        let (silent, silentPort) = try silentListener()
        defer { close(silent) }
        let htmlPort = 18_000 + Int(getpid() % 1_000)
        let html = try #require(
            LiveCluster.spawn(["/usr/bin/python3", "-m", "http.server", "\(htmlPort)", "--bind", "127.0.0.1", "--directory", dir.path]))
        defer {
            kill(html, SIGTERM)
            var status: Int32 = 0
            waitpid(html, &status, 0)
        }
        var up = false
        for _ in 0..<50 where !up {
            let page = (try? await LiveCluster.run("/usr/bin/curl", ["-fsS", "--max-time", "1", "http://127.0.0.1:\(htmlPort)/cluster"])) ?? ""
            up = page.contains("Bad Gateway")
            if !up { try await Task.sleep(for: .milliseconds(100)) }
        }
        try #require(up, "python3 -m http.server did not start")

        var config = PatroniSourceConfig(urls: [
            "http://127.0.0.1:1", "http://127.0.0.1:\(silentPort)", "http://127.0.0.1:\(htmlPort)", LiveCluster.rest ?? "",
        ])
        config.requestTimeout = .milliseconds(500)
        let w = StateWatcher(source: PatroniSource(config: config, clock: wallClockNow, logger: quietLogger()))
        let agreed = await w.until(20) { agreesWithPatroni($0, view) }
        let statuses = w.source.statuses
        let stats = w.source.stats
        await w.stop()
        #expect(agreed, "the real member behind three bad ones still gives /cluster's view")
        func reason(_ s: EndpointStatus) -> String? {
            if case .backingOff(_, _, let reason) = s { return reason }
            return nil
        }
        #expect(reason(statuses[0]) == "refused", "\(statuses[0])")
        #expect(reason(statuses[1]) == "no answer in time", "\(statuses[1])")
        #expect(reason(statuses[2])?.isEmpty == false, "\(statuses[2])")
        #expect(stats[2].decodeErrors > 0, "HTML is counted as an answer that could not be read")
        #expect(statuses[3].isLive)
    }
}
