import ClusterProtocol
import ClusterState
import ClusterdashTesting
import Dashboard
import EventSources
import RenderCore
import Testing

@testable import MySQLRules

/// The screens of a MySQL/MariaDB topology in trouble, as the dashboard
/// draws them from the mapper's facts: a chain (m3 under m2), a replica 40
/// transactions behind with its seconds, one whose primary went silent
/// (IO Connecting, seconds unknown), an errant transaction.
@Suite struct MySQLGoldenTests {
    let golden = GoldenScreen()
    let t0 = Timestamp(millis: 1_765_000_000_000)

    func model(_ observations: [MySQLObservation]) -> AppModel {
        var setup = DashboardSetup()
        setup.provides = [.roles, .lag, .promote]
        setup.clusterLabel = "127.0.0.1:13306"
        var m = AppModel(now: t0, setup: setup)
        var mapper = MySQLMapper(name: "127.0.0.1:13306")
        var differ = PollDiffer(source: "mysql/127.0.0.1:13306", idPrefix: "g-")
        for o in observations {
            let es = differ.diff(mapper.cluster(o), at: o.at)
            let items = es.map { Received(envelope: $0, endpoint: 0, receivedAt: o.at) }
            let views = [EndpointView(name: "mysql 127.0.0.1:13306", status: .live(since: t0, lastFrameAt: o.at))]
            _ = update(&m, .batch(Batch(items: items, dropped: 0, backlog: 0), views, at: o.at))
        }
        return m
    }

    func screen(_ m: AppModel, _ w: Int, _ h: Int) -> Buffer {
        var m = m
        m.size = Size(width: w, height: h)
        var b = Buffer(size: m.size)
        render(m, into: &b)
        return b
    }

    func steady() throws -> MySQLObservation {
        var o = try MariaDBRows.steady()
        o.at = t0
        return o
    }

    /// m1 primary at 0-1-246; m2 replica 40 behind (its IO thread has them all)
    /// and an intermediate primary of m3; m3 at 0-1-246 under m2 with an
    /// errant transaction of its own.
    func troubled(at t: Timestamp) throws -> MySQLObservation {
        var o = try MariaDBRows.steady(primaryPos: "0-1-246", m2: "0-1-206", m3: "0-1-246")
        let m2 = try MySQLServerStatus.parse(
            variables: MariaDBRows.variables(id: 2, readOnly: true, current: "0-1-206", binlog: "0-1-206", slave: "0-1-206"),
            replicas: MariaDBRows.replica(sourcePort: 13306, seconds: "12", ioPos: "0-1-246"), hosts: MariaDBRows.hosts([13308], master: 2))
        let m3 = try MySQLServerStatus.parse(
            variables: MariaDBRows.variables(id: 3, readOnly: true, current: "0-3-247", binlog: "0-3-247", slave: "0-1-206"),
            replicas: MariaDBRows.replica(sourcePort: 13307, ioPos: "0-1-206"), hosts: [])
        o.servers[1].answer = .status(m2)
        o.servers[2].answer = .status(m3)
        o.at = t
        return o
    }

    @Test func aChainALaggingReplicaAndAnErrantTransaction() throws {
        let m = model([try steady(), try troubled(at: t0.adding(millis: 500)), try troubled(at: t0.adding(millis: 1_000))])
        for (w, h) in [(120, 40), (80, 24)] {
            let result = golden.check(screen(m, w, h), named: "mysql-troubled-\(w)x\(h)")
            #expect(result.matches, "\(result.message)")
        }
        let text = screen(m, 120, 40).text
        #expect(text.contains("40 trx"))
        #expect(text.contains("time 12s"))
    }

    @Test("the promotion dialog's ten checks never push what to press off a 24-row terminal")
    func promoteDialogKeepsItsKeysInView() throws {
        var m = model([try steady(), try MariaDBRows.steady().with(at: t0.adding(millis: 500))])
        _ = update(&m, .key(.char("p")))
        for (w, h) in [(80, 24), (120, 40)] {
            let text = screen(m, w, h).text
            #expect(text.contains("Promote a replica"))
            #expect(text.contains("y sends the promotion"), "\(w)x\(h):\n\(text)")
        }
    }

    @Test func thePrimarySilentItsReplicasConnectingTheirSecondsUnknown() throws {
        var silent = try steady()
        silent.at = t0.adding(millis: 500)
        let io = "error reconnecting to master 'repl@127.0.0.1:13306' - retry-time: 1  maximum-retries: 100000  message: Can't connect"
        silent.servers[0].answer = .failed("connection refused or unreachable (2003)")
        for i in 1...2 {
            let s = try MySQLServerStatus.parse(
                variables: MariaDBRows.variables(id: i + 1, readOnly: true, current: "0-1-206", binlog: "0-1-206", slave: "0-1-206"),
                replicas: MariaDBRows.replica(sourcePort: 13306, io: "Connecting", seconds: nil, ioPos: "0-1-206", ioErrno: 2003, ioError: io),
                hosts: [])
            silent.servers[i].answer = .status(s)
        }
        var later = silent
        later.at = t0.adding(millis: 1_000)
        let m = model([try steady(), silent, later])
        let result = golden.check(screen(m, 120, 40), named: "mysql-primary-silent-120x40")
        #expect(result.matches, "\(result.message)")
        let text = screen(m, 120, 40).text
        #expect(text.contains("time unknown"))
        #expect(!text.contains("time 0s"), "NULL seconds are never 0")
    }
}

extension MySQLObservation {
    func with(at t: Timestamp) -> MySQLObservation {
        var o = self
        o.at = t
        return o
    }
}
