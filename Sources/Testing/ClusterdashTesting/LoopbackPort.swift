import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Ports for the servers a test starts on its own.
public enum LoopbackPort {
    /// A port on 127.0.0.1 that nothing listens on now, chosen by the kernel
    /// from its ephemeral range (a bind to port 0). So never one of the fixed
    /// ports the CI's servers hold: a random pick in 20000-40000 can land on
    /// a Redis cluster bus (27001-27006) or a sentinel (26380-26382), which
    /// accept the connection and never answer (CI: a NATS test waited 300 s
    /// on a cluster bus for an INFO). The port is free when returned; a
    /// server started on it can still lose it to another process, so the
    /// caller checks that what answers there is its own server.
    public static func free() -> Int? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let size = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, size) }
        }
        guard bound == 0 else { return nil }
        var length = size
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { return nil }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Whether `pid`, a child of this process, is still running (a server
    /// that lost its port exits at once).
    public static func running(_ pid: pid_t) -> Bool {
        var status: Int32 = 0
        return waitpid(pid, &status, WNOHANG) == 0
    }
}
