import EventSources
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What the engine benches share: their flags, the PIDs of the servers a
/// `scripts/*-up` started, and one source's cost on those servers.
enum ServerCost {
    /// The value after `flag` in `args`, else `fallback`.
    static func value(_ args: [String], _ flag: String, _ fallback: String) -> String {
        args.firstIndex(of: flag).flatMap { i in args.index(after: i) < args.endIndex ? args[args.index(after: i)] : nil } ?? fallback
    }

    /// The PIDs in `dir/<prefix>1.pid` … `<prefix>3.pid` (the servers of a `scripts/*-up`).
    static func pids(_ dir: String, prefix: String) -> [pid_t] {
        (1...3).compactMap { n in
            (try? String(contentsOfFile: "\(dir)/\(prefix)\(n).pid", encoding: .utf8)).flatMap {
                pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines))
            }
        }
    }

    /// The servers' CPU over `seconds` with no source, then with the one
    /// `make` gives running (drained every frame) and its requests so far.
    static func measure(
        _ pids: [pid_t], seconds: Double, source make: () -> (source: any EventSource, requests: @Sendable () -> Int)
    ) async throws -> (idle: (requests: Double, cpu: Double), one: (requests: Double, cpu: Double)) {
        try await Task.sleep(for: .seconds(2))
        let idle = try await PatroniBench.clusterCPU(pids, seconds: seconds) { 0 }
        let (polling, requests) = make()
        polling.start()
        let drain = PatroniBench.drainEveryFrame([polling])
        try await Task.sleep(for: .seconds(2))
        let one = try await PatroniBench.clusterCPU(pids, seconds: seconds) { requests() }
        drain.cancel()
        await polling.stop()
        return (idle, one)
    }
}
