import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

struct SpawnFailure: Error, CustomStringConvertible {
    var description: String
}

/// Starts `path` with the given descriptors as stdin, stdout and stderr
/// (posix_spawn: no fork of this multithreaded process).
func spawnProcess(_ path: String, _ argv: [String], env: [String], stdio: (Int32, Int32, Int32), newSession: Bool) throws -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, stdio.0, 0)
    posix_spawn_file_actions_adddup2(&actions, stdio.1, 1)
    posix_spawn_file_actions_adddup2(&actions, stdio.2, 2)
    var attr = posix_spawnattr_t()
    posix_spawnattr_init(&attr)
    defer { posix_spawnattr_destroy(&attr) }
    if newSession { posix_spawnattr_setflags(&attr, 0x80) }  // POSIX_SPAWN_SETSID (glibc >= 2.26; the macro needs _GNU_SOURCE)
    let cArgs = argv.map { strdup($0) } + [nil]
    let cEnv = env.map { strdup($0) } + [nil]
    defer {
        for p in cArgs { free(p) }
        for p in cEnv { free(p) }
    }
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, path, &actions, &attr, cArgs, cEnv)
    guard rc == 0 else { throw SpawnFailure(description: "posix_spawn \(path) failed: errno \(rc)") }
    return pid
}

/// The `clusterdash` binary next to this one (`swift build -c release` builds both).
func siblingBinary(_ name: String) throws -> String {
    let path = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath()
        .deletingLastPathComponent().appendingPathComponent(name).path
    guard FileManager.default.isExecutableFile(atPath: path) else {
        throw SpawnFailure(description: "no \(name) binary at \(path) (build it: swift build -c release)")
    }
    return path
}

/// `clusterdash sim --flood` in a process of its own on a free loopback
/// port, so the bench process holds only the client side (its RSS is the
/// dashboard pipeline's, not the simulator's).
struct FloodProcess {
    let pid: pid_t
    let url: String

    static func start() throws -> FloodProcess {
        let (pid, url) = try startSim(["--flood", "--listen", "127.0.0.1:0", "--cold-start-window", "1s"])
        return FloodProcess(pid: pid, url: url)
    }

    func stop() { stopProcess(pid) }
}

/// `clusterdash sim` with `arguments`, from this bench's build folder; its
/// pid and the URL its first line says it serves.
func startSim(_ arguments: [String]) throws -> (pid: pid_t, url: String) {
    let exe = try siblingBinary("clusterdash")
    var fds: [Int32] = [0, 0]
    guard pipe(&fds) == 0 else { throw SpawnFailure(description: "pipe failed: errno \(errno)") }
    let devnull = open("/dev/null", O_RDWR)
    defer { close(devnull) }
    let pid = try spawnProcess(
        exe, ["clusterdash", "sim"] + arguments, env: ["LANG=C.UTF-8", "PATH=/usr/bin:/bin"], stdio: (devnull, fds[1], devnull),
        newSession: false)
    close(fds[1])
    defer { close(fds[0]) }
    // The first line says where it serves: "clusterdash sim: serving ws://...".
    var line: [UInt8] = []
    var byte: UInt8 = 0
    while read(fds[0], &byte, 1) == 1, byte != 10 { line.append(byte) }
    let text = String(decoding: line, as: UTF8.self)
    guard let r = text.range(of: "ws://") else {
        stopProcess(pid)
        throw SpawnFailure(description: "clusterdash sim said: \(text)")
    }
    return (pid, String(text[r.lowerBound...]).trimmingCharacters(in: .whitespaces))
}

/// The real `clusterdash` in a 200x60 pseudo-terminal of its own (a new
/// session), its state, config and log in `dir`; what it draws is read and
/// thrown away (`drained` counts it).
struct DashboardInPty {
    let pid: pid_t
    let master: Int32
    let drained: PtyDrain

    static func start(_ exe: String, _ arguments: [String], dir: String) throws -> DashboardInPty {
        var master: Int32 = -1
        var slave: Int32 = -1
        var size = winsize(ws_row: 60, ws_col: 200, ws_xpixel: 0, ws_ypixel: 0)
        guard openpty(&master, &slave, nil, nil, &size) == 0 else { throw SpawnFailure(description: "openpty failed: errno \(errno)") }
        let drained = PtyDrain(master: master)
        defer { close(slave) }
        let pid = try spawnProcess(
            exe, ["clusterdash"] + arguments + ["--log-file", dir + "/clusterdash.log"],
            env: ["TERM=xterm-256color", "LANG=C.UTF-8", "HOME=\(dir)", "XDG_STATE_HOME=\(dir)", "XDG_CONFIG_HOME=\(dir)"],
            stdio: (slave, slave, slave), newSession: true)
        return DashboardInPty(pid: pid, master: master, drained: drained)
    }

    func stop() {
        stopProcess(pid)
        close(master)
    }
}

/// SIGTERM, then up to 5 s to exit, then SIGKILL; always reaps.
func stopProcess(_ pid: pid_t) {
    kill(pid, SIGTERM)
    var status: Int32 = 0
    for _ in 0..<500 {
        let r = waitpid(pid, &status, WNOHANG)
        if r == pid || r < 0 { return }
        usleep(10_000)
    }
    kill(pid, SIGKILL)
    waitpid(pid, &status, 0)
}

/// Reads a pseudo-terminal's master side on a thread of its own until it
/// closes, counting the bytes (what the program on the other side wrote).
final class PtyDrain: Sendable {
    let bytes = Atomic<Int>(0)

    init(master: Int32) {
        let thread = Thread { [self] in
            var chunk = [UInt8](repeating: 0, count: 65_536)
            while true {
                let n = chunk.withUnsafeMutableBytes { read(master, $0.baseAddress, $0.count) }
                if n <= 0 { break }
                self.bytes.add(n, ordering: .relaxed)
            }
        }
        thread.start()
    }

    var count: Int { bytes.load(ordering: .relaxed) }
}

/// Runs `body` on a thread of its own (as the dashboard runs its UI loop,
/// off the concurrency pool) and returns its result.
func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { (done: CheckedContinuation<T, Never>) in
        Thread { done.resume(returning: body()) }.start()
    }
}

/// A duration in seconds.
func inSeconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}
