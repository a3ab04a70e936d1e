import CMariaDB
import Dispatch
import MySQLRules

/// A failure of the client or the server: the client library's or the
/// server's error number and text (which name the user, never the password).
public struct MySQLClientError: Error, Sendable, Hashable, CustomStringConvertible {
    public var code: UInt32
    public var message: String

    public init(code: UInt32, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { code == 0 ? message : "\(code) \(message)" }

    /// What went wrong, for an endpoint's status: the server's or client's
    /// own words, shortened, with the cases an operator meets most named.
    public var words: String {
        let text = message.count > 160 ? String(message.prefix(160)) + "…" : message
        switch code {
        case 1045: return "refused: wrong user or password (1045)"
        case 2002, 2003: return "connection refused or unreachable (\(code))"
        case 2013, 2006: return "connection lost (\(code) \(text))"
        case 2027, 2012: return "answers something that is not MySQL (\(code) \(text))"
        default: return description
        }
    }

    /// The server or the connection failed, rather than the statement.
    public var connectionLost: Bool { (2000..<3000).contains(code) }
}

/// One connection to a MySQL or MariaDB server through MariaDB Connector/C.
/// Its calls block, so each runs on the connection's own serial queue and
/// never on the caller's thread (the render thread, an event loop): a
/// server that hangs holds only its own queue, for the read timeout at most.
public final class MariaDBConnection: @unchecked Sendable {
    /// The library's one-time set-up (`mysql_library_init`, a macro for this), before any connection: not thread-safe in itself.
    private static let library: Bool = mysql_server_init(0, nil, nil) == 0

    /// Rows read from one result at most (the poll's answers are a few).
    static let rowLimit = 10_000

    private let queue: DispatchQueue
    /// Touched only on `queue`.
    private var handle: UnsafeMutablePointer<MYSQL>?

    private init(queue: DispatchQueue, handle: UnsafeMutablePointer<MYSQL>) {
        self.queue = queue
        self.handle = handle
    }

    deinit {
        if let handle { mysql_close(handle) }
    }

    /// Connects and logs in; the timeouts are whole seconds (the library's unit), 1 at least.
    public static func connect(
        host: String, port: Int, user: String?, password: String?, connectTimeout: Int, readTimeout: Int
    ) async throws(MySQLClientError) -> MariaDBConnection {
        let queue = DispatchQueue(label: "clusterdash.mysql.\(host):\(port)")
        let result: Result<MariaDBConnection, MySQLClientError> = await withCheckedContinuation { c in
            queue.async {
                guard library, let h = mysql_init(nil) else {
                    c.resume(returning: .failure(MySQLClientError(code: 0, message: "the MariaDB client library did not start")))
                    return
                }
                var connect = UInt32(max(1, connectTimeout))
                var read = UInt32(max(1, readTimeout))
                mysql_options(h, MYSQL_OPT_CONNECT_TIMEOUT, &connect)
                mysql_options(h, MYSQL_OPT_READ_TIMEOUT, &read)
                mysql_options(h, MYSQL_OPT_WRITE_TIMEOUT, &read)
                guard mysql_real_connect(h, host, user, password, nil, UInt32(clamping: port), nil, 0) != nil else {
                    let error = Self.error(h)
                    mysql_close(h)
                    c.resume(returning: .failure(error))
                    return
                }
                c.resume(returning: .success(MariaDBConnection(queue: queue, handle: h)))
            }
        }
        return try result.get()
    }

    /// Runs one statement; its rows (none for a statement without a result).
    public func query(_ sql: String) async throws(MySQLClientError) -> [MySQLRow] {
        let result: Result<[MySQLRow], MySQLClientError> = await withCheckedContinuation { c in
            queue.async { [self] in c.resume(returning: run(sql)) }
        }
        return try result.get()
    }

    /// Closes the connection (on its queue, after what is queued).
    public func close() {
        queue.async { [self] in
            if let handle { mysql_close(handle) }
            handle = nil
        }
    }

    /// On `queue`.
    private func run(_ sql: String) -> Result<[MySQLRow], MySQLClientError> {
        guard let h = handle else { return .failure(MySQLClientError(code: 2006, message: "connection closed")) }
        let status = sql.withCString { mysql_real_query(h, $0, UInt(sql.utf8.count)) }
        guard status == 0 else { return .failure(Self.error(h)) }
        guard let res = mysql_store_result(h) else {
            return mysql_field_count(h) == 0 ? .success([]) : .failure(Self.error(h))
        }
        defer { mysql_free_result(res) }
        let count = Int(mysql_num_fields(res))
        var columns: [String] = []
        if let fields = mysql_fetch_fields(res) {
            for i in 0..<count { columns.append(fields[i].name.map { String(cString: $0) } ?? "") }
        }
        var rows: [MySQLRow] = []
        while rows.count < Self.rowLimit, let row = mysql_fetch_row(res) {
            guard let lengths = mysql_fetch_lengths(res) else { break }
            var values: [String?] = []
            values.reserveCapacity(count)
            for i in 0..<count {
                guard let p = row[i] else {
                    values.append(nil)
                    continue
                }
                let bytes = UnsafeRawBufferPointer(start: p, count: Int(lengths[i]))
                values.append(String(decoding: bytes, as: UTF8.self))
            }
            rows.append(MySQLRow(columns: columns, values: values))
        }
        return .success(rows)
    }

    private static func error(_ h: UnsafeMutablePointer<MYSQL>) -> MySQLClientError {
        MySQLClientError(code: mysql_errno(h), message: mysql_error(h).map { String(cString: $0) } ?? "unknown error")
    }
}
