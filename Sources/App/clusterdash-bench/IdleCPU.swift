import ClusterSim
import EventSources
import Foundation
import ProtocolV1Server
import Simulator

#if canImport(Glibc)
    import Glibc
#endif

/// CPU used by the real `clusterdash` binary with nothing happening: it runs
/// in a 200x60 pseudo-terminal, connected over loopback to a simulator that
/// sent its snapshot and then stays silent (its clock is never advanced).
/// CPU time is the sum of every thread's run time from
/// `/proc/PID/task/*/schedstat` (nanoseconds), sampled over the window.
enum IdleCPU {
    struct Result {
        var percent: Double
        var seconds: Double
        var ptyBytes: Int
    }

    enum Failure: Error, CustomStringConvertible {
        case exited(String)
        var description: String {
            switch self {
            case .exited(let why): return "clusterdash ended early: \(why)"
            }
        }
    }

    static func run(seconds: Double) async throws -> Result {
        let exe = try siblingBinary("clusterdash")

        var options = StreamServerOptions()
        options.port = 0
        options.realtime = false
        let server = try await SimulatorServer.start(simulation: SimConfig(), options: options, start: wallClockNow(), logger: benchLogger())
        do {
            let result = try await measure(exe: exe, url: server.url, seconds: seconds)
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }

    private static func measure(exe: String, url: String, seconds: Double) async throws -> Result {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("clusterdash-idle-\(getpid())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }

        let dashboard = try DashboardInPty.start(exe, ["--endpoint", url, "--read-only"], dir: dir)
        defer { dashboard.stop() }
        let pid = dashboard.pid
        let drained = dashboard.drained
        // Let it connect, take the snapshot and draw.
        try await Task.sleep(for: .seconds(3))
        guard alive(pid) else { throw Failure.exited((try? String(contentsOfFile: dir + "/clusterdash.log", encoding: .utf8)) ?? "no log") }
        let clock = ContinuousClock()
        let cpu0 = cpuNanos(pid)
        let threadNanos0 = threadNanos(pid)
        let t0 = clock.now
        try await Task.sleep(for: .milliseconds(Int64(seconds * 1000)))
        let cpu1 = cpuNanos(pid)
        if ProcessInfo.processInfo.environment["BENCH_DEBUG"] != nil {
            for (name, ns) in threadNanos(pid) { print("  thread \(name): \(Double(ns - (threadNanos0[name] ?? 0)) / 1e6) ms") }
        }
        let elapsed = clock.now - t0
        let s = inSeconds(elapsed)
        guard alive(pid) else { throw Failure.exited("during the idle window") }
        return Result(percent: Double(max(0, cpu1 - cpu0)) / 1e9 / s * 100, seconds: s, ptyBytes: drained.count)
    }

    static func alive(_ pid: pid_t) -> Bool {
        var status: Int32 = 0
        return waitpid(pid, &status, WNOHANG) == 0
    }

    /// Run time per thread ("tid name"), from /proc/PID/task/*/schedstat.
    static func threadNanos(_ pid: pid_t) -> [String: Int64] {
        let tasks = "/proc/\(pid)/task"
        var out: [String: Int64] = [:]
        for t in (try? FileManager.default.contentsOfDirectory(atPath: tasks)) ?? [] {
            let name = ((try? String(contentsOfFile: "\(tasks)/\(t)/comm", encoding: .utf8)) ?? "?").trimmingCharacters(in: .whitespacesAndNewlines)
            guard let text = try? String(contentsOfFile: "\(tasks)/\(t)/schedstat", encoding: .utf8),
                let first = text.split(separator: " ").first, let ns = Int64(first)
            else { continue }
            out["\(t) \(name)"] = ns
        }
        return out
    }

    /// Run time of every thread of `pid`, in nanoseconds.
    static func cpuNanos(_ pid: pid_t) -> Int64 {
        threadNanos(pid).values.reduce(0, +)
    }
}
