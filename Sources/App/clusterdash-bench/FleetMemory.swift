import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What one cluster of the fleet costs: the real `clusterdash --fleet`
/// binary in a 200x60 pseudo-terminal, its config naming 1 and then N
/// clusters, each a source of its own on the same live simulator
/// (`clusterdash sim`, its scripted trouble every 30 s). After `seconds`
/// its resident memory (VmRSS) and CPU; the cost of a cluster is the
/// difference divided by N - 1.
enum FleetMemory {
    struct Sample {
        var clusters: Int
        var rssMB: Double
        var cpuPercent: Double
    }

    static func main(_ args: [String]) async throws {
        let n = args.first.flatMap(Int.init) ?? 16
        let seconds = args.dropFirst().first.flatMap(Double.init) ?? 60
        let sim = try startSim(["--listen", "127.0.0.1:0"])
        defer { stopProcess(sim.pid) }
        let exe = try siblingBinary("clusterdash")
        var samples: [Sample] = []
        for count in [1, n] {
            samples.append(try await measure(exe: exe, url: sim.url, clusters: count, seconds: seconds))
            let s = samples[samples.count - 1]
            let rss = String(format: "%.1f", s.rssMB)
            print("fleet of \(s.clusters): rss \(rss) MB, cpu \(String(format: "%.2f", s.cpuPercent)) % after \(Int(seconds)) s")
        }
        guard let one = samples.first, let many = samples.last, n > 1 else { return }
        let perCluster = (many.rssMB - one.rssMB) / Double(n - 1)
        let cpuPerCluster = (many.cpuPercent - one.cpuPercent) / Double(n - 1)
        print("one cluster more: \(String(format: "%.2f", perCluster)) MB resident, \(String(format: "%.2f", cpuPerCluster)) % CPU")
    }

    static func measure(exe: String, url: String, clusters: Int, seconds: Double) async throws -> Sample {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("clusterdash-fleet-\(getpid())-\(clusters)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var config = ""
        for i in 1...clusters { config += "[clusters.c\(i)]\nendpoints = [\"\(url)\"]\nread_only = true\n\n" }
        try config.write(toFile: dir + "/config.toml", atomically: true, encoding: .utf8)

        let dashboard = try DashboardInPty.start(exe, ["--fleet", "--config", dir + "/config.toml"], dir: dir)
        defer { dashboard.stop() }
        let pid = dashboard.pid
        let drained = dashboard.drained
        let cpu0 = IdleCPU.cpuNanos(pid)
        let start = ContinuousClock.now
        try await Task.sleep(for: .milliseconds(Int64(seconds * 1000)))
        guard IdleCPU.alive(pid), drained.count > 0 else {
            throw IdleCPU.Failure.exited((try? String(contentsOfFile: dir + "/clusterdash.log", encoding: .utf8)) ?? "no log")
        }
        let cpu = Double(max(0, IdleCPU.cpuNanos(pid) - cpu0)) / 1e9 / inSeconds(ContinuousClock.now - start) * 100
        return Sample(clusters: clusters, rssMB: residentMB(of: pid), cpuPercent: cpu)
    }

    /// VmRSS of `pid`, in MB (10^6 bytes).
    static func residentMB(of pid: pid_t) -> Double {
        let text = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let kb = text.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }
            .flatMap { $0.split(separator: " ").dropFirst().first }.flatMap { Double($0) }
        return (kb ?? 0) * 1024 / 1e6
    }
}
