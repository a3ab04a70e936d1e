import NIOCore
import NIOPosix
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A Redis error reply (`-ERR …`, `-MOVED …`, `-LOADING …`): the server's
/// own words, thrown by `RESPPool` so a caller that wants a value can `try`.
public struct RedisReplyError: Error, Sendable, CustomStringConvertible {
    public var text: String
    public var description: String { "-\(text)" }
    public init(text: String) { self.text = text }
}

/// One connection per node address, opened (and authenticated) when first
/// needed and dropped after any failure, so the next use reconnects. The
/// connections are shared by whoever asks; each answers in order.
public final class RESPPool: Sendable {
    /// An answer of a shape the command never gives (garbage).
    public struct Unexpected: Error, CustomStringConvertible {
        public var description: String
    }

    /// An error in a few words (a refused connect is "connection refused",
    /// not NIO's whole record of it).
    public static func words(_ error: any Error) -> String {
        if let e = error as? NIOConnectionError {
            let refused = e.connectionErrors.contains { ($0.error as? IOError)?.errnoCode == ECONNREFUSED }
            return refused ? "connection refused" : "could not connect"
        }
        if let e = error as? ChannelError, case .connectTimeout = e { return "connect timed out" }
        if let e = error as? IOError { return e.description }
        return "\(error)"
    }

    public let auth: RedisAuth?
    public let timeout: Duration
    private let connections = Mutex<[String: RESPConnection]>([:])
    private let counter = Atomic<Int>(0)

    public init(auth: RedisAuth?, timeout: Duration) {
        self.auth = auth
        self.timeout = timeout
    }

    /// Commands sent so far.
    public var sent: Int { counter.load(ordering: .relaxed) }

    public func connection(_ address: String) async throws -> RESPConnection {
        if let c = connections.withLock({ $0[address] }) { return c }
        guard let (host, port) = RedisAddress.split(address) else { throw Unexpected(description: "not host:port: \(address)") }
        let c = try await RESPConnection.connect(
            host: host, port: port,
            timeout: .milliseconds(timeout.components.seconds * 1_000 + timeout.components.attoseconds / 1_000_000_000_000_000 + 500))
        if let auth {
            counter.add(1, ordering: .relaxed)
            let answer = try await c.auth(user: auth.user, password: auth.password)
            if case .error(let text) = answer {
                await c.close()
                // The server's words name no credential; the password is not in them.
                throw RedisReplyError(text: text)
            }
        }
        let loser = connections.withLock { all -> RESPConnection? in
            if let existing = all[address] { return existing }
            all[address] = c
            return nil
        }
        if let loser {
            await c.close()
            return loser
        }
        return c
    }

    /// Sends a command to `address`; an error reply is thrown as
    /// `RedisReplyError`, a failed connection is dropped (and thrown).
    public func send(_ command: [String], at address: String, timeout: Duration? = nil) async throws -> RESPValue {
        try await send(bytes: command.map { Array($0.utf8) }, what: command.prefix(2).joined(separator: " "), at: address, timeout: timeout)
    }

    public func send(bytes command: [[UInt8]], what: String, at address: String, timeout: Duration? = nil) async throws -> RESPValue {
        let c = try await connection(address)
        counter.add(1, ordering: .relaxed)
        let answer: RESPValue
        do {
            answer = try await c.send(bytes: command, what: what, timeout: timeout ?? self.timeout)
        } catch {
            await drop(address, c)
            throw error
        }
        if case .error(let text) = answer { throw RedisReplyError(text: text) }
        return answer
    }

    /// A command whose answer is text (`CLUSTER NODES`, `INFO`).
    public func text(_ command: [String], at address: String) async throws -> String {
        let answer = try await send(command, at: address)
        guard let text = answer.text else {
            await drop(address, nil)
            throw Unexpected(description: "\(command.prefix(2).joined(separator: " ")) answered something other than text")
        }
        return text
    }

    /// Closes the connection to `address` (the one given, if still in place).
    public func drop(_ address: String, _ which: RESPConnection?) async {
        let gone = connections.withLock { all -> RESPConnection? in
            guard let c = all[address], which == nil || c === which else { return nil }
            all[address] = nil
            return c
        }
        await gone?.close()
    }

    /// Closes the connections to addresses not in `keep` (nodes gone from the cluster).
    public func retain(only keep: Set<String>) async {
        let gone = connections.withLock { all -> [RESPConnection] in
            let out = all.filter { !keep.contains($0.key) }.map(\.value)
            all = all.filter { keep.contains($0.key) }
            return out
        }
        for c in gone { await c.close() }
    }

    public func closeAll() async {
        let all = connections.withLock { all -> [RESPConnection] in
            defer { all = [:] }
            return Array(all.values)
        }
        for c in all { await c.close() }
    }
}
