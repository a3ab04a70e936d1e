import ClusterProtocol
import ClusterState
import EngineKit
import EventSources
import Testing

@testable import MySQLRules

/// Rows as MariaDB 10.11 sent them here (scripts/mariadb-up: m1 primary on
/// 13306, m2 and m3 replicas), with what a test changes.
enum MariaDBRows {
    static func variables(id: Int, readOnly: Bool, current: String, binlog: String, slave: String) -> [MySQLRow] {
        let pairs: [(String, String)] = [
            ("server_id", "\(id)"), ("version", "10.11.19-MariaDB-0+deb12u1-log"), ("read_only", readOnly ? "ON" : "OFF"),
            ("log_bin", "ON"), ("log_slave_updates", "ON"), ("gtid_current_pos", current), ("gtid_binlog_pos", binlog),
            ("gtid_slave_pos", slave), ("gtid_strict_mode", "ON"), ("rpl_semi_sync_master_enabled", "OFF"),
            ("rpl_semi_sync_slave_enabled", "OFF"),
        ]
        return pairs.map { MySQLRow(columns: ["Variable_name", "Value"], values: [$0.0, $0.1]) }
    }

    static func replica(
        sourcePort: Int, io: String = "Yes", sql: String = "Yes", seconds: String? = "0", ioPos: String, ioErrno: Int = 0, ioError: String = "",
        sqlErrno: Int = 0, sqlError: String = ""
    ) -> [MySQLRow] {
        let pairs: [(String, String?)] = [
            ("Slave_IO_State", io == "Yes" ? "Waiting for master to send event" : "Reconnecting after a failed master event read"),
            ("Master_Host", "127.0.0.1"), ("Master_User", "repl"), ("Master_Port", "\(sourcePort)"), ("Connect_Retry", "1"),
            ("Slave_IO_Running", io), ("Slave_SQL_Running", sql), ("Last_Errno", "\(sqlErrno)"), ("Last_Error", sqlError),
            ("Seconds_Behind_Master", seconds), ("Last_IO_Errno", "\(ioErrno)"), ("Last_IO_Error", ioError),
            ("Last_SQL_Errno", "\(sqlErrno)"), ("Last_SQL_Error", sqlError), ("Master_Server_Id", "1"), ("Using_Gtid", "Slave_Pos"),
            ("Gtid_IO_Pos", ioPos), ("Slave_SQL_Running_State", "Slave has read all relay log; waiting for more updates"),
        ]
        return [MySQLRow(columns: pairs.map(\.0), values: pairs.map(\.1))]
    }

    static func hosts(_ ports: [Int], master: Int) -> [MySQLRow] {
        ports.map { p in
            MySQLRow(columns: ["Server_id", "Host", "Port", "Master_id"], values: ["\(p - 13305)", "127.0.0.1", "\(p)", "\(master)"])
        }
    }

    /// m1 primary at `primaryPos`, m2 and m3 replicas at their positions.
    static func steady(primaryPos: String = "0-1-206", m2: String = "0-1-206", m3: String = "0-1-206") throws -> MySQLObservation {
        let m1 = try MySQLServerStatus.parse(
            variables: variables(id: 1, readOnly: false, current: primaryPos, binlog: primaryPos, slave: ""), replicas: [],
            hosts: hosts([13307, 13308], master: 1))
        let r2 = try MySQLServerStatus.parse(
            variables: variables(id: 2, readOnly: true, current: m2, binlog: m2, slave: m2), replicas: replica(sourcePort: 13306, ioPos: primaryPos),
            hosts: [])
        let r3 = try MySQLServerStatus.parse(
            variables: variables(id: 3, readOnly: true, current: m3, binlog: m3, slave: m3), replicas: replica(sourcePort: 13306, ioPos: primaryPos),
            hosts: [])
        return MySQLObservation(
            servers: [("127.0.0.1:13306", .status(m1)), ("127.0.0.1:13307", .status(r2)), ("127.0.0.1:13308", .status(r3))],
            at: Timestamp(millis: 1_000))
    }
}

@Suite("MySQL: GTIDs, answers read, the topology mapped (pure)") struct MySQLMapperTests {
    @Test("GTID positions: parsed, printed, and the gap between two in transactions, domain by domain")
    func positions() throws {
        let p = try #require(GTIDPosition(parsing: "0-1-206,1-2-33"))
        #expect(p.description == "0-1-206,1-2-33")
        #expect(p[1] == GTID(domain: 1, server: 2, seq: 33))
        let q = try #require(GTIDPosition(parsing: " 0-2-210 ,\n1-2-30"))
        #expect(p.behind(q) == 4, "210 - 206 in domain 0; domain 1 is ahead")
        #expect(q.behind(p) == 3)
        #expect(GTIDPosition(parsing: "")?.isEmpty == true)
        #expect(GTIDPosition(parsing: "")?.behind(p) == 206 + 33, "a domain it lacks counts whole")
        for bad in ["0-1", "a-1-2", "0-1-2,0-2-3", "0-1-2-3", "-1-2", "0-1-99999999999999999999"] {
            #expect(GTIDPosition(parsing: bad) == nil, "\(bad)")
        }
    }

    @Test("GTID parsing never traps on any text")
    func positionsFuzz() {
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array("0123456789-,\n x")
        for _ in 0..<5_000 {
            let s = String((0..<Int.random(in: 0..<24, using: &rng)).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &rng)] })
            if let p = GTIDPosition(parsing: s) { _ = p.behind(p) }
        }
    }

    @Test("MySQL 8 GTID sets: intervals with holes, tags, the gap counted transaction by transaction")
    func gtidSets() throws {
        let a = "3e11fa47-71ca-11e1-9e33-c80aa9429562"
        let b = "24da1670-0c0c-11e8-8442-00059a3c7b00"
        let source = try #require(GTIDSet(parsing: "\(a.uppercased()):1-5:7-9,\n\(b):1-19"))
        #expect(source.count == 5 + 3 + 19)
        #expect(source.description == "\(b):1-19,\(a):1-5:7-9")
        let replica = try #require(GTIDSet(parsing: "\(a):1-9,\(b):1-10:12"))
        #expect(replica.behind(source) == 8, "b:11 and b:13-19")
        #expect(source.behind(replica) == 1, "a:6, which the source lacks")
        #expect(replica.subtracting(source).only(source: a).description == "\(a):6")
        #expect(GTIDSet(parsing: "")?.isEmpty == true)
        #expect(GTIDSet(parsing: "\(a):tag_1:1-3")?.count == 3, "a tagged GTID (8.3+)")
        for bad in ["\(a)", "\(a):0-3", "\(a):5-3", "nouuid:1-3", "\(a):1-x", "\(a):1-2-3"] {
            #expect(GTIDSet(parsing: bad) == nil, "\(bad)")
        }
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array(a + ":-,0123456789 \nz")
        for _ in 0..<3_000 {
            let s = String((0..<Int.random(in: 0..<60, using: &rng)).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &rng)] })
            if let set = GTIDSet(parsing: s) { _ = set.subtracting(source).count }
        }
    }

    @Test("MySQL 8 as its documentation shows it (captured, no live server): Source_* names, gap, errant by server_uuid, no switchover")
    func mysql8() throws {
        let a = "3e11fa47-71ca-11e1-9e33-c80aa9429562"
        let r = "8a94f357-aab4-11df-86ab-c80aa9429563"
        func vars(_ id: Int, _ uuid: String, _ executed: String, readOnly: Bool) -> [MySQLRow] {
            [
                ("server_id", "\(id)"), ("server_uuid", uuid), ("version", "8.0.36"), ("read_only", readOnly ? "ON" : "OFF"),
                ("super_read_only", readOnly ? "ON" : "OFF"), ("log_bin", "ON"), ("log_replica_updates", "ON"), ("gtid_executed", executed),
            ].map { MySQLRow(columns: ["Variable_name", "Value"], values: [$0.0, $0.1]) }
        }
        let replicaRow = MySQLRow(
            columns: [
                "Replica_IO_State", "Source_Host", "Source_Port", "Replica_IO_Running", "Replica_SQL_Running", "Seconds_Behind_Source",
                "Last_IO_Errno", "Last_IO_Error", "Last_SQL_Errno", "Last_SQL_Error", "Source_Server_Id",
            ],
            values: ["Waiting for source to send event", "db1", "3306", "Yes", "Yes", "0", "0", "", "0", "", "1"])
        let primary = try MySQLServerStatus.parse(variables: vars(1, a, "\(a):1-120", readOnly: false), replicas: [], hosts: [])
        let replica = try MySQLServerStatus.parse(
            variables: vars(2, r, "\(a):1-100,\(r):1-2", readOnly: true), replicas: [replicaRow], hosts: [])
        #expect(primary.flavor == .mysql && primary.writable && !replica.writable)
        #expect(replica.replication?.source == "db1:3306")
        var mapper = MySQLMapper(name: "t")
        let polled = mapper.cluster(
            MySQLObservation(servers: [("db1:3306", .status(primary)), ("db2:3306", .status(replica))], at: Timestamp(millis: 1_000)))
        let n = try #require(polled.nodes.first { $0.id == "db2:3306" })
        #expect(n.engine?.lagBytes == 20 && n.engine?.lagState == .measured)
        #expect(n.engine?.tag("errant") == "\(r):1-2", "written on the replica under its own server_uuid")
        var state = ClusterState()
        var differ = PollDiffer(source: "mysql/t", idPrefix: "t-")
        for e in differ.diff(polled, at: Timestamp(millis: 1_000)) { state.apply(e) }
        let verdict = MySQLRules().preview(candidate: "db2:3306", in: state, limits: PreviewLimits(now: Timestamp(millis: 1_000)))
        #expect(verdict.checks.contains { !$0.ok && ($0.detail ?? "").contains("switches over MariaDB only") })
    }

    @Test("SHOW SLAVE STATUS as MariaDB sends it: threads, NULL seconds as unknown, errors, GTID IO position")
    func replicaStatus() throws {
        let r = try ReplicaStatus.parse(
            MariaDBRows.replica(
                sourcePort: 13307, io: "Connecting", seconds: nil, ioPos: "0-1-206", ioErrno: 2003,
                ioError: "error reconnecting to master 'repl@127.0.0.1:13307' - retry-time: 60  maximum-retries: 100000")[0])
        #expect(r.source == "127.0.0.1:13307")
        #expect(r.ioRunning == "Connecting")
        #expect(r.secondsBehind == nil, "NULL is unknown, never 0")
        #expect(r.lastIOErrno == 2003)
        #expect(r.gtidIOPos?.description == "0-1-206")
        // MySQL 8's names.
        let mysql = MySQLRow(
            columns: ["Source_Host", "Source_Port", "Replica_IO_Running", "Replica_SQL_Running", "Seconds_Behind_Source"],
            values: ["db1", "3306", "Yes", "No", "12"])
        let m = try ReplicaStatus.parse(mysql)
        #expect(m.source == "db1:3306" && m.sqlRunning == "No" && m.secondsBehind == 12)
        #expect(throws: MySQLParseError.self) { try ReplicaStatus.parse(MySQLRow(columns: ["Slave_IO_Running"], values: ["Yes"])) }
    }

    @Test("steady: m1 the primary, m2 and m3 its replicas at 0 transactions and 0 s, found hosts named")
    func steady() throws {
        let o = try MariaDBRows.steady()
        var mapper = MySQLMapper(name: "t")
        let polled = mapper.cluster(o)
        #expect(polled.primaries == ["127.0.0.1:13306"])
        let m2 = try #require(polled.nodes.first { $0.id == "127.0.0.1:13307" })
        #expect(m2.role == .replica && m2.health == .healthy)
        #expect(m2.engine?.upstream == "127.0.0.1:13306")
        #expect(m2.engine?.lagBytes == 0 && m2.engine?.lagState == .measured)
        #expect(m2.engine?.timeBehind == .measured && m2.engine?.timeBehindMillis == 0)
        #expect(m2.engine?.position == "0-1-206")
        #expect(m2.engine?.tag("io_thread") == "Yes")
        #expect(polled.engine?.lagUnit == "transactions")
        #expect(polled.engine?.divergence.isEmpty == true)
        #expect(o.named.isEmpty, "every server the answers name was asked")
    }

    @Test("a replica 40 transactions behind, its IO thread ahead of its SQL thread: both figures, apart")
    func behind() throws {
        var o = try MariaDBRows.steady(primaryPos: "0-1-246", m2: "0-1-206")
        var mapper = MySQLMapper(name: "t")
        var polled = mapper.cluster(o)
        var m2 = try #require(polled.nodes.first { $0.id == "127.0.0.1:13307" })
        #expect(m2.engine?.lagBytes == 40)
        #expect(m2.engine?.position == "0-1-206 +40 received", "the IO thread's lead, beside the position")
        #expect(m2.health == .healthy && m2.engine?.state == "running", "a backlog being applied is no fault")
        // The primary does not answer: the count is unknown, never 0.
        o.servers[0].answer = .failed("connection refused or unreachable (2003)")
        polled = mapper.cluster(o)
        m2 = try #require(polled.nodes.first { $0.id == "127.0.0.1:13307" })
        #expect(m2.engine?.lagState == .unknown && m2.engine?.lagBytes == nil)
        let m1 = try #require(polled.nodes.first { $0.id == "127.0.0.1:13306" })
        #expect(m1.role == .primary, "the last role seen, while it does not answer")
        #expect(m1.health == .suspect)
        #expect(mapper.cluster(o).nodes.first { $0.id == "127.0.0.1:13306" }?.health == .unhealthy, "two polls missed: down")
    }

    @Test("kill -9 of the primary as the replicas tell it: IO Connecting with 2003 and since when, seconds unknown")
    func primaryKilled() throws {
        let io = "error reconnecting to master 'repl@127.0.0.1:13306' - retry-time: 1  maximum-retries: 100000  message: Can't connect"
        let r2 = try MySQLServerStatus.parse(
            variables: MariaDBRows.variables(id: 2, readOnly: true, current: "0-1-206", binlog: "0-1-206", slave: "0-1-206"),
            replicas: MariaDBRows.replica(sourcePort: 13306, io: "Connecting", seconds: nil, ioPos: "0-1-206", ioErrno: 2003, ioError: io),
            hosts: [])
        let o = MySQLObservation(
            servers: [("127.0.0.1:13306", .failed("connection refused or unreachable (2003)")), ("127.0.0.1:13307", .status(r2))],
            at: Timestamp(millis: 5_000))
        var mapper = MySQLMapper(name: "t")
        let polled = mapper.cluster(o)
        let m1 = try #require(polled.nodes.first { $0.id == "127.0.0.1:13306" })
        #expect(m1.role == .primary, "never seen answering, but the replicas point at it")
        let m2 = try #require(polled.nodes.first { $0.id == "127.0.0.1:13307" })
        #expect(m2.health == .degraded)
        #expect(m2.engine?.state?.hasPrefix("IO Connecting (Reconnecting after a failed master event read): 2003") == true)
        // The same failure in other words (the IO thread's state moves) keeps when it began.
        let state = try #require(m2.engine?.state)
        let since = try #require(state.range(of: "(since "))
        let began = String(state[since.lowerBound...])
        var later = o
        later.at = Timestamp(millis: 9_000)
        let again = mapper.cluster(later).nodes.first { $0.id == "127.0.0.1:13307" }
        #expect(again?.engine?.state?.hasSuffix(began) == true)
        #expect(m2.engine?.state?.contains("(since ") == true)
        #expect(m2.engine?.timeBehind == .unknown && m2.engine?.timeBehindMillis == nil)
    }

    @Test("an errant transaction on m3 (its own server id, past its source's last GTID) is named and blocks it")
    func errant() throws {
        var o = try MariaDBRows.steady(primaryPos: "0-1-207", m2: "0-1-207")
        let m3 = try MySQLServerStatus.parse(
            variables: MariaDBRows.variables(id: 3, readOnly: true, current: "0-3-208", binlog: "0-3-208", slave: "0-1-207"),
            replicas: MariaDBRows.replica(sourcePort: 13306, ioPos: "0-1-207"), hosts: [])
        o.servers[2].answer = .status(m3)
        var mapper = MySQLMapper(name: "t")
        let polled = mapper.cluster(o)
        let node = try #require(polled.nodes.first { $0.id == "127.0.0.1:13308" })
        #expect(node.engine?.tag("errant") == "0-3-208")
        #expect(node.engine?.position == "0-3-208 slave 0-1-207", "its slave position, where it differs")
        #expect(node.health == .degraded)
        // An old primary's own GTID that the new primary has too is not errant.
        let old = MySQLServerStatus(
            serverID: 1, version: "10.11", readOnly: true, gtidCurrent: GTIDPosition(parsing: "0-1-206"),
            gtidBinlog: GTIDPosition(parsing: "0-1-206"), replication: ReplicaStatus(sourceHost: "127.0.0.1", sourcePort: 13307))
        let source = MySQLServerStatus(serverID: 2, version: "10.11", readOnly: false, gtidBinlog: GTIDPosition(parsing: "0-1-206"))
        #expect(MySQLMapper.errant(old, source: source) == nil)
        #expect(MySQLMapper.errant(old, source: nil) == nil, "nothing can be said without the source")

        var state = ClusterState()
        var differ = PollDiffer(source: "mysql/t", idPrefix: "t-")
        for e in differ.diff(polled, at: Timestamp(millis: 1_000)) { state.apply(e) }
        let verdict = MySQLRules().preview(candidate: "127.0.0.1:13308", in: state, limits: PreviewLimits(now: Timestamp(millis: 1_000)))
        #expect(verdict.rejection != nil)
        #expect(verdict.checks.contains { !$0.ok && ($0.detail ?? "").contains("errant transaction 0-3-208") })
        let clean = MySQLRules().preview(candidate: "127.0.0.1:13307", in: state, limits: PreviewLimits(now: Timestamp(millis: 1_000)))
        #expect(clean.rejection == nil, "\(clean.checks.filter { !$0.ok })")
    }

    @Test("a chain: m3 replicates from m2, which replicates from m1: m2 is an intermediate primary")
    func chain() throws {
        var o = try MariaDBRows.steady()
        let m2 = try MySQLServerStatus.parse(
            variables: MariaDBRows.variables(id: 2, readOnly: true, current: "0-1-206", binlog: "0-1-206", slave: "0-1-206"),
            replicas: MariaDBRows.replica(sourcePort: 13306, ioPos: "0-1-206"), hosts: MariaDBRows.hosts([13308], master: 2))
        let m3 = try MySQLServerStatus.parse(
            variables: MariaDBRows.variables(id: 3, readOnly: true, current: "0-1-200", binlog: "0-1-200", slave: "0-1-200"),
            replicas: MariaDBRows.replica(sourcePort: 13307, ioPos: "0-1-200"), hosts: [])
        o.servers[1].answer = .status(m2)
        o.servers[2].answer = .status(m3)
        var mapper = MySQLMapper(name: "t")
        let polled = mapper.cluster(o)
        #expect(polled.nodes.first { $0.id == "127.0.0.1:13307" }?.engine?.role == "intermediate")
        let n3 = try #require(polled.nodes.first { $0.id == "127.0.0.1:13308" })
        #expect(n3.engine?.upstream == "127.0.0.1:13307")
        #expect(n3.engine?.lagBytes == 6, "behind its own source, m2")
    }

    @Test("two writable roots are two primaries (the divergence alarm); a writable replica is named")
    func splitBrain() throws {
        var o = try MariaDBRows.steady()
        let m2 = try MySQLServerStatus.parse(
            variables: MariaDBRows.variables(id: 2, readOnly: false, current: "0-1-206", binlog: "0-1-206", slave: "0-1-206"), replicas: [],
            hosts: [])
        o.servers[1].answer = .status(m2)
        let m3 = try MySQLServerStatus.parse(
            variables: MariaDBRows.variables(id: 3, readOnly: false, current: "0-1-206", binlog: "0-1-206", slave: "0-1-206"),
            replicas: MariaDBRows.replica(sourcePort: 13306, ioPos: "0-1-206"), hosts: [])
        o.servers[2].answer = .status(m3)
        var mapper = MySQLMapper(name: "t")
        let first = mapper.cluster(try MariaDBRows.steady())
        #expect(first.term == 1)
        let polled = mapper.cluster(o)
        #expect(polled.primaries.count == 2)
        #expect(polled.term == 2, "a change of primaries is a new term")
        #expect(polled.engine?.divergence.count == 2)
        #expect(polled.nodes.first { $0.id == "127.0.0.1:13308" }?.engine?.state?.contains("writable replica") == true)
    }

    @Test("one server reached at two addresses is one node, under the address replication uses")
    func sameServerTwice() throws {
        var o = try MariaDBRows.steady()
        o.servers.insert(("localhost:13306", o.servers[0].answer), at: 0)
        var mapper = MySQLMapper(name: "t")
        let polled = mapper.cluster(o)
        #expect(polled.nodes.map(\.id) == ["127.0.0.1:13306", "127.0.0.1:13307", "127.0.0.1:13308"])
        // Down, it answers at neither address: still one node.
        o.servers[0].answer = .failed("connection refused or unreachable (2003)")
        o.servers[1].answer = .failed("connection refused or unreachable (2003)")
        #expect(mapper.cluster(o).nodes.map(\.id) == ["127.0.0.1:13306", "127.0.0.1:13307", "127.0.0.1:13308"])
    }

    @Test("failover preview: the primary down, the most advanced replica passes and the other is told why not")
    func failoverPreview() throws {
        var o = try MariaDBRows.steady(primaryPos: "0-1-220", m2: "0-1-220", m3: "0-1-210")
        o.servers[0].answer = .failed("connection refused or unreachable (2003)")
        var mapper = MySQLMapper(name: "t")
        var state = ClusterState()
        var differ = PollDiffer(source: "mysql/t", idPrefix: "t-")
        for e in differ.diff(mapper.cluster(o), at: Timestamp(millis: 1_000)) { state.apply(e) }
        for e in differ.diff(mapper.cluster(o), at: Timestamp(millis: 1_500)) { state.apply(e) }
        let limits = PreviewLimits(now: Timestamp(millis: 1_500))
        let best = MySQLRules().preview(candidate: "127.0.0.1:13307", in: state, limits: limits)
        #expect(best.rejection == nil, "\(best.checks.filter { !$0.ok })")
        #expect(best.checks.contains { ($0.detail ?? "").contains("most advanced") })
        let behind = MySQLRules().preview(candidate: "127.0.0.1:13308", in: state, limits: limits)
        #expect(behind.checks.contains { !$0.ok && ($0.detail ?? "").contains("127.0.0.1:13307 by 10") })
        // After the failover the dead server is a former primary, not a second primary.
        let m2 = try MySQLServerStatus.parse(
            variables: MariaDBRows.variables(id: 2, readOnly: false, current: "0-1-220", binlog: "0-1-220", slave: "0-1-220"), replicas: [],
            hosts: [])
        o.servers[1].answer = .status(m2)
        let after = mapper.cluster(o)
        #expect(after.primaries == ["127.0.0.1:13307"])
        let old = try #require(after.nodes.first { $0.id == "127.0.0.1:13306" })
        #expect(old.role == .unknown && old.engine?.role == "former_primary" && old.health == .unhealthy)
        #expect(after.engine?.divergence.isEmpty == true)
    }
}
