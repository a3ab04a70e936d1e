import ClusterProtocol
import EventSources
import Foundation
import Logging
import PatroniSource
import ProtocolV1Server
import ProtocolV1Source
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// `clusterdash-bench patroni`: measured on the real cluster of
/// `scripts/patroni-up` (docs/PERFORMANCE.md, "Patroni"). Not part of the
/// default phases: it switches the leader over and over.
///
/// - Leader change to screen: the leader key's PUT in etcd (seen by an
///   independent `etcdctl watch`) to the first frame whose batch carries the
///   new leader, for a source fed by the etcd watch and one that only polls
///   (frames on the dashboard's 33 ms grid).
/// - REST load: Patroni's requests per second and the cluster's CPU (every
///   process of the postgres user, and etcd) with N dashboards polling
///   Patroni themselves, against one gateway serving N dashboards.
enum PatroniBench {
    struct Result {
        var watchMillis: [Double] = []
        var pollMillis: [Double] = []
        var loads: [(String, Double, Double)] = []
    }

    static let frameMillis: UInt64 = 33

    /// `clusterdash-bench patroni [--patroni URL] [--etcd URL] [--dir DIR]
    /// [--switchovers N] [--readers N] [--seconds S]`, defaults for the
    /// cluster of scripts/patroni-up.
    static func main(_ args: [String]) async throws {
        func value(_ flag: String, _ fallback: String) -> String {
            args.firstIndex(of: flag).flatMap { i in args.index(after: i) < args.endIndex ? args[args.index(after: i)] : nil } ?? fallback
        }
        let env = ProcessInfo.processInfo.environment
        let rest = value("--patroni", env["CLUSTERDASH_PATRONI_URL"] ?? "http://127.0.0.1:8008")
        let etcd = value("--etcd", env["CLUSTERDASH_ETCD_URL"] ?? "http://127.0.0.1:12379")
        let dir = value("--dir", env["CLUSTERDASH_PATRONI_DIR"] ?? "/tmp/clusterdash-patroni")
        let switchovers = Int(value("--switchovers", "10")) ?? 10
        let readers = Int(value("--readers", "10")) ?? 10
        let seconds = Double(value("--seconds", "20")) ?? 20
        let r = try await run(rest: rest, etcd: etcd, dir: dir, switchovers: switchovers, readers: readers, seconds: seconds)
        func stats(_ xs: [Double]) -> String {
            let s = xs.sorted()
            guard !s.isEmpty else { return "no samples" }
            let median = s[s.count / 2]
            return "median \(Int(median)) ms, min \(Int(s[0])) ms, max \(Int(s[s.count - 1])) ms (\(s.count) switchovers)"
        }
        print("leader key PUT in etcd -> first frame showing the new leader (33 ms frames)")
        print("  etcd watch + poll: \(stats(r.watchMillis))")
        print("  polling alone (1 s): \(stats(r.pollMillis))")
        print("REST load on the cluster (\(Int(seconds)) s each; CPU of Patroni + PostgreSQL + etcd, % of one core)")
        for (name, requests, cpu) in r.loads {
            print(
                "  \(name.padding(toLength: 40, withPad: " ", startingAt: 0)) \(String(format: "%6.1f", requests)) req/s  \(String(format: "%5.1f", cpu)) % CPU"
            )
        }
    }

    static func run(rest: String, etcd: String, dir: String, switchovers: Int, readers: Int, seconds: Double) async throws -> Result {
        var result = Result()
        let logger = benchLogger()
        // Leader change to screen.
        let watched = PatroniSource(config: PatroniSourceConfig(urls: [rest], etcd: [etcd]), clock: wallClockNow, logger: logger)
        let polled = PatroniSource(config: PatroniSourceConfig(urls: [rest]), clock: wallClockNow, logger: logger)
        let keys = try KeyWatch(etcd: etcd)
        defer { keys.stop() }
        let seen = Locked<[String: [String: Int64]]>([:])  // source name -> new leader -> first frame that showed it
        let framers = [("watch", watched), ("poll", polled)].map { name, source in
            source.start()
            return Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(frameMillis))
                    let now = wallClockNow().millis
                    for r in source.queue.take().items {
                        guard case .roleChanged(let d) = r.envelope.event, d.to == .primary else { continue }
                        seen.withLock { s in
                            if s[name]?[d.node] == nil { s[name, default: [:]][d.node] = now }
                        }
                    }
                }
            }
        }
        for i in 0..<switchovers {
            let (leader, candidate) = try await healthyLeaderAndCandidate(rest)
            seen.withLock { $0 = [:] }
            keys.forget()
            try post(rest + "/switchover", "{\"leader\":\"\(leader)\",\"candidate\":\"\(candidate)\"}")
            let deadline = Date().addingTimeInterval(30)
            while Date() < deadline {
                let done = seen.withLock { $0["watch"]?[candidate] != nil && $0["poll"]?[candidate] != nil }
                if done, keys.putAt(candidate) != nil { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            guard let put = keys.putAt(candidate) else { throw SpawnFailure(description: "switchover \(i): no leader key PUT for \(candidate)") }
            let shown = seen.withLock { $0 }
            if let t = shown["watch"]?[candidate] { result.watchMillis.append(Double(t - put)) }
            if let t = shown["poll"]?[candidate] { result.pollMillis.append(Double(t - put)) }
        }
        for f in framers { f.cancel() }
        await watched.stop()
        await polled.stop()

        // REST load: N dashboards of their own against one gateway, after the
        // cluster settled from the switchovers (checkpoints, the rejoin).
        _ = try await healthyLeaderAndCandidate(rest)
        try await Task.sleep(for: .seconds(10))
        let pids = clusterPIDs(dir: dir)
        result.loads.append(("idle (no dashboard)", 0, try await clusterCPU(pids, seconds: seconds) { 0 }.cpu))
        let direct = (0..<readers).map { _ in
            PatroniSource(config: PatroniSourceConfig(urls: [rest], etcd: [etcd]), clock: wallClockNow, logger: logger)
        }
        for s in direct { s.start() }
        let drain = drainEveryFrame(direct)
        let directCPU = try await clusterCPU(pids, seconds: seconds) { direct.map(\.restRequests).reduce(0, +) }
        drain.cancel()
        for s in direct { await s.stop() }
        result.loads.append(("\(readers) dashboards polling Patroni", directCPU.requests, directCPU.cpu))

        let source = PatroniSource(config: PatroniSourceConfig(urls: [rest], etcd: [etcd]), clock: wallClockNow, logger: logger)
        let core = StreamCore(engine: RelayEngine(sink: nil, clock: wallClockNow))
        var options = StreamServerOptions()
        options.port = 0
        options.realtime = false
        let server = try await StreamServer.serve(core: core, options: options, services: [RelayPump(source: source, core: core)], logger: logger)
        let dashboards = (0..<readers).map { _ in WebSocketSource(endpoints: [EndpointConfig(url: server.url)], clock: wallClockNow, logger: logger) }
        for d in dashboards { d.start() }
        let read = drainEveryFrame(dashboards)
        try await Task.sleep(for: .seconds(2))
        let live = dashboards.filter { $0.statuses.first?.isLive == true }.count
        guard live == readers else { throw SpawnFailure(description: "only \(live) of \(readers) dashboards reached the gateway") }
        let gatewayCPU = try await clusterCPU(pids, seconds: seconds) { source.restRequests }
        read.cancel()
        for d in dashboards { await d.stop() }
        await server.stop()
        result.loads.append(("1 gateway serving \(readers) dashboards", gatewayCPU.requests, gatewayCPU.cpu))
        result.loads.append(("idle again", 0, try await clusterCPU(pids, seconds: seconds) { 0 }.cpu))
        return result
    }

    /// Takes what the sources queued on the dashboard's frame grid, as N
    /// dashboards would, until cancelled.
    static func drainEveryFrame(_ sources: [any EventSource]) -> Task<Void, Never> {
        Task {
            while !Task.isCancelled {
                for s in sources { _ = s.queue.take() }
                try? await Task.sleep(for: .milliseconds(frameMillis))
            }
        }
    }

    /// The cluster's CPU over `seconds`, as a percentage of one core, and the
    /// REST requests per second `requests` counted meanwhile.
    static func clusterCPU(_ pids: [pid_t], seconds: Double, requests: () -> Int) async throws -> (requests: Double, cpu: Double) {
        let cpu0 = pids.map(IdleCPU.cpuNanos).reduce(0, +)
        let r0 = requests()
        let t0 = ContinuousClock.now
        try await Task.sleep(for: .seconds(seconds))
        let elapsed = ContinuousClock.now - t0
        let secs = inSeconds(elapsed)
        let cpu = Double(pids.map(IdleCPU.cpuNanos).reduce(0, +) - cpu0) / 1e9 / secs * 100
        return (Double(requests() - r0) / secs, cpu)
    }

    /// Every process of the postgres user (Patroni and PostgreSQL) and etcd.
    static func clusterPIDs(dir: String) -> [pid_t] {
        var out: [pid_t] = []
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = pid_t(entry), let status = try? String(contentsOfFile: "/proc/\(entry)/status", encoding: .utf8) else { continue }
            let uid = status.split(separator: "\n").first { $0.hasPrefix("Uid:") }?.split(whereSeparator: \.isWhitespace).dropFirst().first
            if let uid, let pw = getpwnam("postgres"), String(uid) == String(pw.pointee.pw_uid) { out.append(pid) }
        }
        if let text = try? String(contentsOfFile: "\(dir)/etcd.pid", encoding: .utf8),
            let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines))
        {
            out.append(pid)
        }
        return out
    }

    /// Waits until the cluster has a leader and every member runs; the
    /// leader and the first replica.
    static func healthyLeaderAndCandidate(_ rest: String) async throws -> (String, String) {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if let data = try? run("/usr/bin/curl", ["curl", "-fsS", "--max-time", "2", rest + "/cluster"]),
                let object = try? JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any],
                let members = object["members"] as? [[String: Any]], members.count == 3,
                members.allSatisfy({ ["running", "streaming"].contains($0["state"] as? String ?? "") }),
                let leader = members.first(where: { $0["role"] as? String == "leader" })?["name"] as? String,
                let candidate = members.first(where: { $0["role"] as? String == "replica" && $0["lag"] as? Int == 0 })?["name"] as? String
            {
                return (leader, candidate)
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw SpawnFailure(description: "the cluster did not become healthy in 60 s")
    }

    static func post(_ url: String, _ body: String) throws {
        _ = try run("/usr/bin/curl", ["curl", "-sS", "--max-time", "30", "-X", "POST", url, "-d", body])
    }

    /// Runs `argv` with its stdout in a pipe; what it printed.
    static func run(_ path: String, _ argv: [String]) throws -> String {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw SpawnFailure(description: "pipe failed") }
        let devnull = open("/dev/null", O_RDWR)
        defer { close(devnull) }
        let pid = try spawnProcess(path, argv, env: ["PATH=/usr/bin:/bin"], stdio: (devnull, fds[1], devnull), newSession: false)
        close(fds[1])
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(fds[0], &buffer, buffer.count)
            if n <= 0 { break }
            out += buffer[0..<n]
        }
        close(fds[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return String(decoding: out, as: UTF8.self)
    }
}

/// A value behind a lock, shareable by reference across tasks and threads.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<R>(_ body: (inout sending Value) -> sending R) -> R { mutex.withLock(body) }
}

/// An independent observer of Patroni's leader key: `etcdctl watch`, its
/// lines read on a thread of their own, each PUT timestamped as it arrives.
final class KeyWatch: Sendable {
    private let pid: pid_t
    private let puts = Locked<[String: Int64]>([:])

    init(etcd: String) throws {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw SpawnFailure(description: "pipe failed") }
        let devnull = open("/dev/null", O_RDWR)
        defer { close(devnull) }
        let host = etcd.replacingOccurrences(of: "http://", with: "")
        pid = try spawnProcess(
            "/usr/bin/etcdctl", ["etcdctl", "--endpoints=\(host)", "watch", "/service/dash/leader"], env: ["ETCDCTL_API=3", "PATH=/usr/bin:/bin"],
            stdio: (devnull, fds[1], devnull), newSession: false)
        close(fds[1])
        let fd = fds[0]
        let puts = self.puts
        Thread.detachNewThread {
            var line: [UInt8] = []
            var lines: [String] = []
            var byte: UInt8 = 0
            while read(fd, &byte, 1) == 1 {
                guard byte == UInt8(ascii: "\n") else {
                    line.append(byte)
                    continue
                }
                lines.append(String(decoding: line, as: UTF8.self))
                line = []
                // PUT / the key / the value (the new leader).
                if lines.count >= 3, lines[lines.count - 3] == "PUT", lines[lines.count - 2].hasSuffix("/leader") {
                    let now = wallClockNow().millis
                    let leader = lines[lines.count - 1]
                    puts.withLock { p in
                        if p[leader] == nil { p[leader] = now }
                    }
                    lines = []
                }
                if lines.count > 3 { lines.removeFirst(lines.count - 3) }
            }
            close(fd)
        }
    }

    /// When the key was first PUT to `leader` since `forget`.
    func putAt(_ leader: String) -> Int64? { puts.withLock { $0[leader] } }
    func forget() { puts.withLock { $0 = [:] } }

    func stop() { stopProcess(pid) }
}
