import ClusterProtocol
import ClusterState
import EventSources
import Foundation
import Logging

/// A logger that says nothing below critical (live tests' sources).
public func quietLogger() -> Logger {
    var logger = Logger(label: "test")
    logger.logLevel = .critical
    return logger
}

/// Children of live tests: the real servers' tools and signals.
public enum ChildProcess {
    /// Runs `argv` and waits for that process alone (not for what it leaves
    /// running); its exit status. The wait is off the cooperative pool.
    public static func spawnAndWait(_ argv: [String]) async -> Int32 {
        await offThePool {
            guard let pid = spawn(argv) else { return -1 }
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            return (status >> 8) & 0xff
        }
    }

    /// Runs `argv` (its first the tool's path) to its end: its exit status
    /// and what it wrote (stdout, and stderr too unless `stderr` is false).
    /// The wait is off the cooperative pool.
    public static func output(_ argv: [String], stderr: Bool = true, in directory: URL? = nil) async throws -> (status: Int32, text: String) {
        try await offThePool {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: argv[0])
            p.arguments = Array(argv.dropFirst())
            if let directory { p.currentDirectoryURL = directory }
            let out = Pipe()
            p.standardOutput = out
            p.standardError = stderr ? out : FileHandle.nullDevice
            try p.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            return (p.terminationStatus, String(decoding: data, as: UTF8.self))
        }
    }

    /// Runs blocking `work` on a thread of its own. Live suites share one
    /// process, whose cooperative pool has a thread per core (two here): a
    /// tool run that blocks one for seconds stalls every other suite's
    /// tasks (CI: a refused WebSocket upgrade, answered in time, was
    /// reported as a handshake timeout while etcdctl and curl ran).
    public static func offThePool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { c in
            Thread.detachNewThread { c.resume(with: Result { try work() }) }
        }
    }

    /// `offThePool` for work that cannot fail.
    public static func offThePool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { c in
            Thread.detachNewThread { c.resume(returning: work()) }
        }
    }

    /// Starts `argv` (posix_spawn, no fork of this process); its pid. The
    /// child gets no blocked signal and default handlers: the test runner's
    /// threads block some (SIGTERM among them), and a child would inherit
    /// that mask and outlive every `kill`. It gets none of this process's
    /// descriptors but the standard three: a test's listening socket
    /// inherited by a server another test restarts outlives the test's own
    /// close, and held its port (CI: a restarted Patroni LISTENing on a
    /// restart test's port, "Address already in use" for 10 s).
    public static func spawn(_ argv: [String]) -> pid_t? {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // Every descriptor open now (one closed meanwhile is ignored: EBADF).
        let open = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).compactMap { Int32($0) }
        for fd in open where fd > 2 { posix_spawn_file_actions_addclose(&actions, fd) }
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var none = sigset_t()
        sigemptyset(&none)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attr, &none)
        posix_spawnattr_setsigdefault(&attr, &all)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        var cargs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for a in cargs { free(a) } }
        guard posix_spawn(&pid, argv[0], &actions, &attr, &cargs, environ) == 0 else { return nil }
        return pid
    }

    /// The pid in a pid file (its first line).
    public static func pid(_ file: String) -> Int32? {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return nil }
        return text.split(whereSeparator: \.isNewline).first.flatMap { Int32($0.trimmingCharacters(in: .whitespaces)) }
    }
}

/// Drains a source into a state, the way the dashboard does, and keeps the
/// command results and every event type seen.
public final class StateWatcher<S: EventSource>: @unchecked Sendable {
    public let source: S
    private let lock = NSLock()
    private var _state = ClusterState()
    private var _results: [CommandResult] = []
    private var _events: [Event] = []
    private var task: Task<Void, Never>?

    /// Starts `source` and drains it.
    public init(source: S) {
        self.source = source
        source.start()
        task = Task { [self] in
            while !Task.isCancelled {
                let batch = source.queue.take()
                lock.withLock {
                    for r in batch.items {
                        _state.apply(r.envelope)
                        if case .commandResult(let c) = r.envelope.event { _results.append(c) }
                        switch r.envelope.event {
                        case .migrationStarted, .migrationProgress, .migrationCompleted, .migrationCancelled, .migrationFailed, .roleChanged,
                            .healthChanged:
                            if _events.count < 10_000 { _events.append(r.envelope.event) }
                        default: break
                        }
                    }
                }
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
    }

    public var state: ClusterState { lock.withLock { _state } }
    public var results: [CommandResult] { lock.withLock { _results } }
    /// Migration, role and health events, in the order applied (bounded).
    public var events: [Event] { lock.withLock { _events } }

    public func stop() async {
        task?.cancel()
        await task?.value
        await source.stop()
    }

    /// Waits until `ok` holds of the state, at most `seconds`.
    public func until(_ seconds: Double, _ ok: (ClusterState) -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if ok(state) { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return ok(state)
    }

    /// `until`, for a check that awaits (a server's own answer, asked each
    /// time).
    public func until(_ seconds: Double, asking ok: (ClusterState) async -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if await ok(state) { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return await ok(state)
    }
}
