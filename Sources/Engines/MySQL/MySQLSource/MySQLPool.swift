import EngineKit
import MySQLRules
import Synchronization

/// One connection per server, opened when first needed and kept between
/// polls; a connection that fails is dropped, and the server is tried
/// again only after a backoff (250 ms doubling to 4 s), so a dead server
/// costs no connect attempt per poll. Statements on one connection run
/// one after the other (its queue).
final class MySQLPool: Sendable {
    struct Slot {
        var connection: MariaDBConnection?
        var failures = 0
        var retryAt: ContinuousClock.Instant?
        var lastError: MySQLClientError?
    }

    let auth: MySQLAuth?
    let connectTimeoutSeconds: Int
    let readTimeoutSeconds: Int
    private let slots = Mutex<[String: Slot]>([:])

    init(auth: MySQLAuth?, connectTimeoutSeconds: Int, readTimeoutSeconds: Int) {
        self.auth = auth
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.readTimeoutSeconds = readTimeoutSeconds
    }

    /// Runs `sql` on `address`'s connection (opening it when needed).
    func query(_ sql: String, at address: String) async throws(MySQLClientError) -> [MySQLRow] {
        let c = try await connection(address)
        do {
            return try await c.query(sql)
        } catch {
            if error.connectionLost { failed(address, error, closing: c) }
            throw error
        }
    }

    /// A connection of its own, outside the pool (a command's long waits
    /// must not hold up the poll's statements); the caller closes it.
    func dedicated(_ address: String) async throws(MySQLClientError) -> MariaDBConnection {
        guard let hp = HostPort(address) else { throw MySQLClientError(code: 0, message: "not host:port: \(address.prefix(60))") }
        return try await MariaDBConnection.connect(
            host: hp.host, port: hp.port, user: auth?.user, password: auth?.password, connectTimeout: connectTimeoutSeconds,
            readTimeout: readTimeoutSeconds)
    }

    private func connection(_ address: String) async throws(MySQLClientError) -> MariaDBConnection {
        let now = ContinuousClock.now
        let held = slots.withLock { s -> Result<MariaDBConnection?, MySQLClientError> in
            let slot = s[address] ?? Slot()
            if let c = slot.connection { return .success(c) }
            if let at = slot.retryAt, now < at, let e = slot.lastError { return .failure(e) }
            return .success(nil)
        }
        if let c = try held.get() { return c }
        do {
            let c = try await dedicated(address)
            slots.withLock { s in
                if let old = s[address]?.connection, old !== c { old.close() }
                s[address] = Slot(connection: c)
            }
            return c
        } catch {
            failed(address, error, closing: nil)
            throw error
        }
    }

    private func failed(_ address: String, _ error: MySQLClientError, closing c: MariaDBConnection?) {
        c?.close()
        slots.withLock { s in
            var slot = s[address] ?? Slot()
            if slot.connection === c { slot.connection = nil }
            slot.failures += 1
            slot.lastError = error
            let millis = min(4_000, 250 << min(slot.failures - 1, 5))
            slot.retryAt = ContinuousClock.now.advanced(by: .milliseconds(millis))
            s[address] = slot
        }
    }

    func closeAll() async {
        let all = slots.withLock { s -> [MariaDBConnection] in
            defer { s = [:] }
            return s.values.compactMap(\.connection)
        }
        for c in all { c.close() }
    }
}
