/// Which server a status came from: MariaDB (GTIDs `domain-server-seq`,
/// `SHOW SLAVE STATUS`) or MySQL 8 (GTID sets `uuid:interval`,
/// `SHOW REPLICA STATUS`, `Source_*`/`Replica_*` names).
public enum MySQLFlavor: String, Sendable, Hashable {
    case mariadb
    case mysql

    /// From `@@version` (`10.11.19-MariaDB-0+deb12u1-log`, `8.0.36`).
    public init(version: String) { self = version.contains("MariaDB") ? .mariadb : .mysql }

    /// The statement that shows this server's replication.
    public var replicaStatusQuery: String { self == .mariadb ? "SHOW SLAVE STATUS" : "SHOW REPLICA STATUS" }
    /// The statement that lists the replicas connected to this server.
    public var replicaHostsQuery: String { self == .mariadb ? "SHOW SLAVE HOSTS" : "SHOW REPLICAS" }
}

/// What one server says of itself in one poll: three light statements
/// (`SHOW GLOBAL VARIABLES WHERE Variable_name IN (…)`, the replica status,
/// the replica hosts), read.
public struct MySQLServerStatus: Sendable, Hashable {
    public var serverID: UInt32
    public var version: String
    public var flavor: MySQLFlavor
    public var readOnly: Bool
    /// MySQL's `super_read_only` (nil on MariaDB).
    public var superReadOnly: Bool?
    public var logBin: Bool
    public var logReplicaUpdates: Bool
    /// MariaDB: `@@gtid_current_pos` (every transaction executed here, replicated
    /// or written), `@@gtid_binlog_pos` (the last in its binlog), `@@gtid_slave_pos`
    /// (the last applied by replication).
    public var gtidCurrent: GTIDPosition?
    public var gtidBinlog: GTIDPosition?
    public var gtidSlave: GTIDPosition?
    /// MySQL 8: `@@gtid_executed`, and the server's own `server_uuid` (the
    /// source of what it wrote itself).
    public var gtidExecuted: GTIDSet?
    public var serverUUID: String?
    public var gtidStrictMode: Bool?
    /// Semi-synchronous replication, where the server has it: as a source, as a replica.
    public var semiSyncSource: Bool?
    public var semiSyncReplica: Bool?
    /// Its replication from a source; nil when it replicates from nobody.
    public var replication: ReplicaStatus?
    /// The replicas connected to it, as `host:port` (what they report).
    public var replicaHosts: [String]

    public init(
        serverID: UInt32, version: String, readOnly: Bool, logBin: Bool = true, logReplicaUpdates: Bool = true,
        gtidCurrent: GTIDPosition? = nil, gtidBinlog: GTIDPosition? = nil, gtidSlave: GTIDPosition? = nil, replication: ReplicaStatus? = nil,
        replicaHosts: [String] = []
    ) {
        self.serverID = serverID
        self.version = version
        self.flavor = MySQLFlavor(version: version)
        self.readOnly = readOnly
        self.logBin = logBin
        self.logReplicaUpdates = logReplicaUpdates
        self.gtidCurrent = gtidCurrent
        self.gtidBinlog = gtidBinlog
        self.gtidSlave = gtidSlave
        self.replication = replication
        self.replicaHosts = replicaHosts
    }

    /// The variables the poll asks for (those a server lacks are simply not returned).
    public static let variableNames = [
        "server_id", "server_uuid", "version", "read_only", "super_read_only", "log_bin", "log_slave_updates", "log_replica_updates",
        "gtid_current_pos", "gtid_binlog_pos", "gtid_slave_pos", "gtid_executed", "gtid_strict_mode",
        "rpl_semi_sync_master_enabled", "rpl_semi_sync_slave_enabled", "rpl_semi_sync_source_enabled", "rpl_semi_sync_replica_enabled",
    ]

    /// The one statement that reads them.
    public static var variablesQuery: String {
        "SHOW GLOBAL VARIABLES WHERE Variable_name IN (" + variableNames.map { "'\($0)'" }.joined(separator: ",") + ")"
    }

    /// Reads the three answers; an error names what was missing or unreadable.
    public static func parse(variables: [MySQLRow], replicas: [MySQLRow], hosts: [MySQLRow]) throws(MySQLParseError) -> MySQLServerStatus {
        var v: [String: String] = [:]
        for row in variables {
            guard let name = row["Variable_name"], let value = row["Value"] else { continue }
            v[name.lowercased()] = value
        }
        guard let idText = v["server_id"], let id = UInt32(idText) else { throw MySQLParseError("no server_id among the variables") }
        guard let version = v["version"] else { throw MySQLParseError("no version among the variables") }
        func flag(_ name: String) -> Bool? { v[name].map(Self.isOn) }
        func position(_ name: String) throws(MySQLParseError) -> GTIDPosition? {
            guard let text = v[name] else { return nil }
            guard let p = GTIDPosition(parsing: text) else { throw MySQLParseError("\(name) is no GTID position: \(text.prefix(60))") }
            return p
        }
        var s = MySQLServerStatus(
            serverID: id, version: version, readOnly: flag("read_only") ?? false, logBin: flag("log_bin") ?? false,
            logReplicaUpdates: flag("log_slave_updates") ?? flag("log_replica_updates") ?? false)
        s.superReadOnly = flag("super_read_only")
        if s.flavor == .mariadb {
            s.gtidCurrent = try position("gtid_current_pos")
            s.gtidBinlog = try position("gtid_binlog_pos")
            s.gtidSlave = try position("gtid_slave_pos")
        } else {
            if let text = v["gtid_executed"] {
                guard let set = GTIDSet(parsing: text) else { throw MySQLParseError("gtid_executed is no GTID set: \(text.prefix(60))") }
                s.gtidExecuted = set
            }
            s.serverUUID = v["server_uuid"]
        }
        s.gtidStrictMode = flag("gtid_strict_mode")
        s.semiSyncSource = flag("rpl_semi_sync_master_enabled") ?? flag("rpl_semi_sync_source_enabled")
        s.semiSyncReplica = flag("rpl_semi_sync_slave_enabled") ?? flag("rpl_semi_sync_replica_enabled")
        if let row = replicas.first { s.replication = try ReplicaStatus.parse(row) }
        s.replicaHosts = hosts.compactMap { row in
            guard let host = row["Host"], !host.isEmpty, let port = row["Port"], let p = Int(port), p > 0 else { return nil }
            return "\(host):\(p)"
        }
        return s
    }

    static func isOn(_ text: String) -> Bool { ["ON", "1", "YES", "TRUE"].contains(text.uppercased()) }

    /// Writable: neither `read_only` nor `super_read_only`.
    public var writable: Bool { !readOnly && superReadOnly != true }
}

/// A server's replication from its source (one row of `SHOW SLAVE STATUS`).
public struct ReplicaStatus: Sendable, Hashable {
    public var sourceHost: String
    public var sourcePort: Int
    public var sourceServerID: UInt32?
    /// `Yes`, `No` or `Connecting`, as the server says.
    public var ioRunning: String
    public var sqlRunning: String
    public var ioState: String
    public var sqlState: String?
    /// Nil when the server says NULL: unknown, never 0.
    public var secondsBehind: Int64?
    public var lastIOErrno: Int
    public var lastIOError: String
    public var lastSQLErrno: Int
    public var lastSQLError: String
    /// `Slave_Pos`, `Current_Pos` or `No` (MariaDB's `Using_Gtid`).
    public var usingGTID: String?
    /// What the IO thread has received (MariaDB's `Gtid_IO_Pos`).
    public var gtidIOPos: GTIDPosition?

    public init(
        sourceHost: String, sourcePort: Int, ioRunning: String = "Yes", sqlRunning: String = "Yes", ioState: String = "",
        secondsBehind: Int64? = 0, lastIOErrno: Int = 0, lastIOError: String = "", lastSQLErrno: Int = 0, lastSQLError: String = ""
    ) {
        self.sourceHost = sourceHost
        self.sourcePort = sourcePort
        self.ioRunning = ioRunning
        self.sqlRunning = sqlRunning
        self.ioState = ioState
        self.secondsBehind = secondsBehind
        self.lastIOErrno = lastIOErrno
        self.lastIOError = lastIOError
        self.lastSQLErrno = lastSQLErrno
        self.lastSQLError = lastSQLError
    }

    /// `host:port` of its source.
    public var source: String { "\(sourceHost):\(sourcePort)" }
    public var threadsRunning: Bool { ioRunning == "Yes" && sqlRunning == "Yes" }

    /// One row of MariaDB's `SHOW SLAVE STATUS` or MySQL 8's `SHOW REPLICA STATUS`.
    public static func parse(_ row: MySQLRow) throws(MySQLParseError) -> ReplicaStatus {
        guard let host = row.first("Master_Host", "Source_Host") else { throw MySQLParseError("the replica status has no Master_Host") }
        guard let portText = row.first("Master_Port", "Source_Port"), let port = Int(portText) else {
            throw MySQLParseError("the replica status has no Master_Port")
        }
        func int(_ names: String...) -> Int { names.lazy.compactMap { row[$0].flatMap { Int($0) } }.first ?? 0 }
        var r = ReplicaStatus(
            sourceHost: host, sourcePort: port, ioRunning: row.first("Slave_IO_Running", "Replica_IO_Running") ?? "No",
            sqlRunning: row.first("Slave_SQL_Running", "Replica_SQL_Running") ?? "No",
            ioState: row.first("Slave_IO_State", "Replica_IO_State") ?? "",
            secondsBehind: row.first("Seconds_Behind_Master", "Seconds_Behind_Source").flatMap { Int64($0) },
            lastIOErrno: int("Last_IO_Errno"), lastIOError: row["Last_IO_Error"] ?? "", lastSQLErrno: int("Last_SQL_Errno"),
            lastSQLError: row["Last_SQL_Error"] ?? "")
        r.sourceServerID = row.first("Master_Server_Id", "Source_Server_Id").flatMap { UInt32($0) }.flatMap { $0 == 0 ? nil : $0 }
        r.sqlState = row.first("Slave_SQL_Running_State", "Replica_SQL_Running_State")
        r.usingGTID = row["Using_Gtid"]
        if let io = row["Gtid_IO_Pos"] { r.gtidIOPos = GTIDPosition(parsing: io) }
        return r
    }
}

/// An answer that is not what a MySQL or MariaDB server says.
public struct MySQLParseError: Error, Sendable, Hashable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
