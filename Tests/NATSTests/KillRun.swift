import ClusterProtocol
import ClusterSim
import ClusterState
import ClusterdashTesting
import EventSources
import Foundation
import NATSClient
import NATSStreamPublisher
import NATSStreamSource
import ProtocolV1Server
import Simulator
import Testing

/// Which NATS server(s) a kill test SIGKILLs, and when they start again.
struct KillPlan: Sendable, CustomStringConvertible {
    enum Target: Sendable {
        /// The server the publisher is connected to.
        case publishersServer
        /// A server only readers use: neither the publisher's nor the stream leader's.
        case readersServer
        /// The server of the events stream's leader.
        case streamLeader
        /// Both servers the publisher is not connected to: no quorum, nothing can be stored.
        case twoServers
    }

    var target: Target
    var restartAfter: Int

    init(_ target: Target, restartAfter: Int) {
        self.target = target
        self.restartAfter = restartAfter
    }

    /// Every moment of the election for the publisher's and the leader's
    /// server, two for a reader's (no stream election follows), and the
    /// 30 s outage. `CLUSTERDASH_KILL_PLANS=leader:10,two:30` runs only those (to
    /// reproduce one); the names are publisher, reader, leader and two.
    static var matrix: [KillPlan] {
        let all =
            [0, 2, 6, 10].map { KillPlan(.publishersServer, restartAfter: $0) } + [0, 6].map { KillPlan(.readersServer, restartAfter: $0) }
            + [0, 2, 6, 10].map { KillPlan(.streamLeader, restartAfter: $0) } + [KillPlan(.twoServers, restartAfter: 30)]
        guard let only = ProcessInfo.processInfo.environment["CLUSTERDASH_KILL_PLANS"] else { return all }
        return all.filter { only.split(separator: ",").contains(Substring($0.key)) }
    }

    /// The target's words and its name in `CLUSTERDASH_KILL_PLANS`.
    var names: (words: String, key: String) {
        switch target {
        case .publishersServer: ("the publisher's server", "publisher")
        case .readersServer: ("a reader's server", "reader")
        case .streamLeader: ("the stream leader's server", "leader")
        case .twoServers: ("two servers", "two")
        }
    }

    var key: String { "\(names.key):\(restartAfter)" }

    var description: String { "\(names.words) restarted after \(restartAfter) s" }
}

/// What was seen while servers were down.
struct Outage: Sendable, CustomStringConvertible {
    /// The most the publisher held at once.
    var publisherHeld = 0
    /// The most readers at once that showed the publisher's held events.
    var readersTold = 0
    var description: String { "publisher held at most \(publisherHeld); \(readersTold) readers told at once" }
}

/// What one reader came to.
struct ReaderOutcome: Sendable {
    var events: Int
    var lost: [LostHistory]
}

/// A simulator publishing through a 3-server JetStream cluster (R3) to 20
/// readers, each starting at a different server; its truth is a direct
/// subscriber of the simulator's core.
final class KillRun: Sendable {
    let subjects: ClusterSubjects
    let core: SimulatorCore
    let truth: Truth
    let driver: Task<Void, Never>
    let publisher: NATSPublisher<SimCluster>
    let publishing: Task<Void, Never>
    let readers: [CountingReader]

    private init(
        subjects: ClusterSubjects, core: SimulatorCore, truth: Truth, driver: Task<Void, Never>, publisher: NATSPublisher<SimCluster>,
        publishing: Task<Void, Never>, readers: [CountingReader]
    ) {
        self.subjects = subjects
        self.core = core
        self.truth = truth
        self.driver = driver
        self.publisher = publisher
        self.publishing = publishing
        self.readers = readers
    }

    static func start(tag: String, rate: Double, holdLimit: Int) async throws -> KillRun {
        let subjects = try #require(NATSStreamLiveTests.uniqueCluster(tag))
        let servers = LiveNATS.servers
        try #require(servers.count == 3)
        // A kill begins on a healthy cluster: the servers an earlier case
        // restarted may still be catching up (seen in CI: a new stream
        // refused for 15 s, "JetStream system temporarily unavailable").
        let unsettled = await unsettledServers(within: .seconds(60))
        try #require(unsettled.isEmpty, "not every NATS server is healthy before the kill: \(unsettled)")
        let core = NATSStreamLiveTests.simCore(rate: rate)
        let truth = await Truth(core: core)
        let driver = NATSStreamLiveTests.drive(core)
        var config = NATSPublishConfig(servers: servers, subjects: subjects)
        config.snapshotEvery = .seconds(2)
        config.holdLimit = holdLimit
        // CLUSTERDASH_KILL_LOG=1: the publisher's log on standard output.
        var logger = quietLogger()
        let verbose = ProcessInfo.processInfo.environment["CLUSTERDASH_KILL_LOG"] != nil
        if verbose { logger.logLevel = .info }
        let publisher = NATSPublisher(core: core, config: config, logger: logger)
        let publishing = Task {
            // With the log, the publisher's counts twice a second too.
            let counts = verbose ? Task { await printCounts(of: publisher) } : nil
            await publisher.run()
            counts?.cancel()
        }
        #expect(
            await NATSStreamLiveTests.waitUntil(15) { publisher.stats.active && publisher.stats.snapshots >= 1 }, "\(publisher.stats)")
        let readers = (0..<20).map { k in
            var c = NATSSourceConfig(servers: Array(servers[(k % 3)...] + servers[..<(k % 3)]), cluster: subjects.cluster)
            c.heartbeatTimeout = .seconds(6)
            return CountingReader(NATSSource(config: c, clock: wallClockNow, logger: quietLogger()))
        }
        try await Task.sleep(for: .seconds(3))
        return KillRun(
            subjects: subjects, core: core, truth: truth, driver: driver, publisher: publisher, publishing: publishing, readers: readers)
    }

    /// Waits until every server's `/healthz` says ok (JetStream on, every
    /// stream and consumer current); what those that never did said last.
    static func unsettledServers(within limit: Duration) async -> [String] {
        let deadline = ContinuousClock.now + limit
        while true {
            var unsettled: [String] = []
            for n in 1...3 {
                let answer = "\(LiveNATS.dir)/healthz-n\(n).json"
                let url = "http://127.0.0.1:\(18_220 + n)/healthz"
                if await ChildProcess.spawnAndWait(["/usr/bin/curl", "-sS", "--fail-with-body", "-m", "2", "-o", answer, url]) != 0 {
                    unsettled.append("n\(n): \((try? String(contentsOfFile: answer, encoding: .utf8)) ?? "no answer")")
                }
            }
            if unsettled.isEmpty || ContinuousClock.now >= deadline { return unsettled }
            try? await Task.sleep(for: .milliseconds(250))
        }
    }

    /// Server numbers (1-3, as scripts/nats-up names them) to kill.
    func victims(_ target: KillPlan.Target) async throws -> [Int] {
        let port = try #require(publisher.stats.server.flatMap { $0.split(separator: ":").last }.flatMap { Int($0) })
        let publishers = port - 14_230
        try #require((1...3).contains(publishers), "the publisher's server \(publisher.stats.server ?? "none")")
        let leader = try await streamLeader()
        switch target {
        case .publishersServer: return [publishers]
        case .streamLeader: return [leader]
        case .readersServer:
            let other = try #require((1...3).first { $0 != publishers && $0 != leader } ?? (1...3).first { $0 != publishers })
            return [other]
        case .twoServers: return (1...3).filter { $0 != publishers }
        }
    }

    func streamLeader() async throws -> Int {
        let c = try await NATSConnection.connect(try #require(LiveNATS.servers.first), logger: quietLogger())
        defer { c.close() }
        let name = try #require(try await JetStream(c).streamInfo(subjects.stream).leader)
        return try #require(Int(name.dropFirst()))
    }

    /// SIGKILLs each and waits until it is gone (delivered when the kernel gets to it).
    func kill(_ servers: [Int]) async throws {
        for n in servers {
            let pid = try #require(ChildProcess.pid("\(LiveNATS.dir)/n\(n).pid"))
            #expect(Foundation.kill(pid, SIGKILL) == 0)
            #expect(await NATSStreamLiveTests.waitUntil(5) { Foundation.kill(pid, 0) != 0 }, "n\(n) still runs after SIGKILL")
        }
    }

    /// Waits `pause`, noting what the publisher and the readers say meanwhile.
    func watchOutage(for pause: Duration) async throws -> Outage {
        var o = Outage()
        let until = ContinuousClock.now + pause
        repeat {
            o.publisherHeld = max(o.publisherHeld, publisher.stats.held)
            o.readersTold = max(o.readersTold, readers.count { $0.source.stats.first?.heldUpstream != nil })
            try await Task.sleep(for: .milliseconds(250))
        } while ContinuousClock.now < until
        return o
    }

    func restart(_ servers: [Int]) async throws {
        #expect(await ChildProcess.spawnAndWait(["/bin/bash", "scripts/nats-up"] + servers.map(String.init)) == 0)
    }

    /// Stops the simulator and waits until every reader has its last seq of every source.
    func finish() async throws {
        driver.cancel()
        await driver.value
        let final = await core.seqs
        let caughtUp = await NATSStreamLiveTests.waitUntil(120) { self.readers.allSatisfy { r in r.seen.withLock { $0.state.seqs } == final } }
        if !caughtUp {
            var info = "?"
            if let c = try? await NATSConnection.connect(LiveNATS.servers[1], logger: quietLogger()) {
                info = (try? await JetStream(c).streamInfo(subjects.stream)).map { "\($0)" } ?? "no stream info"
                c.close()
            }
            Issue.record(
                "not caught up: publisher \(self.publisher.stats); stream \(info); reader 0: \(self.readers[0].source.statuses) at \(self.readers[0].source.lastStreamSeq ?? 0), \(self.readers[0].source.stats)"
            )
        }
    }

    /// Every reader against the truth: the same state, every event once and
    /// in order from where its snapshot began, up to the last. After
    /// `losses` stretches lost, each a new epoch's snapshot brought the
    /// state on: the events seen jump forward once per stretch, and the
    /// nodes' last heartbeats are the snapshot's (the engine's own), not
    /// those of events applied.
    func compare(plan: KillPlan, losses: Int = 0) async throws -> [ReaderOutcome] {
        let afterLoss = losses > 0
        let final = await core.seqs
        let expected = truth.state.withLock { Self.comparable($0.snapshotData(), afterLoss) }
        var out: [ReaderOutcome] = []
        for (k, r) in readers.enumerated() {
            let seen = r.seen.withLock { $0 }
            let got = Self.comparable(seen.state.snapshotData(), afterLoss)
            #expect(
                got == expected,
                "\(plan): reader \(k): not the core's state: \(NATSStreamLiveTests.difference(got, expected)); resyncs \(r.source.resyncs); publisher \(self.publisher.stats)"
            )
            #expect(seen.state.seqs == final, "\(plan): reader \(k)")
            for (source, seqs) in seen.seqs {
                let steps = zip(seqs, seqs.dropFirst()).filter { $0.1 != $0.0 + 1 }
                if afterLoss {
                    // One jump forward a stretch: what was lost, then the new epoch's events.
                    #expect(steps.count <= losses && steps.allSatisfy { $0.1 > $0.0 }, "\(plan): reader \(k) \(source): \(steps.prefix(3))")
                } else {
                    #expect(steps.isEmpty, "\(plan): reader \(k) \(source): \(steps.prefix(3)) (not one after another)")
                    #expect(seqs.last == final[source], "\(plan): reader \(k) \(source)")
                }
            }
            out.append(ReaderOutcome(events: seen.seqs.values.reduce(0) { $0 + $1.count }, lost: seen.state.lostHistory))
        }
        return out
    }

    static func comparable(_ s: ClusterSnapshot?, _ afterLoss: Bool) -> ClusterSnapshot? {
        guard afterLoss, var s else { return s }
        for i in s.nodes.indices { s.nodes[i].lastHeartbeat = nil }
        return s
    }

    func stop() async {
        for r in readers { await r.stop() }
        publishing.cancel()
        await publishing.value
        truth.task.withLock { $0 }?.cancel()
        await NATSStreamLiveTests.deleteStream(subjects)
    }
}

/// The publisher's counts, twice a second until cancelled (CLUSTERDASH_KILL_LOG).
private func printCounts(of publisher: NATSPublisher<SimCluster>) async {
    while !Task.isCancelled {
        let s = publisher.stats
        print(
            "\(wallClockNow().clockTime) published \(s.published) acknowledged \(s.acknowledged) again \(s.republished) unacknowledged \(s.unacknowledged) held \(s.held) 503s \(s.noResponders) errors \(s.publishErrors) awaiting leader \(s.awaitingStreamLeader) active \(s.active)"
        )
        try? await Task.sleep(for: .milliseconds(500))
    }
}

extension LostHistory {
    /// For a test's message.
    var brief: String { "\(from.clockTime)-\(to.clockTime): \(events) events of \(sources.joined(separator: ","))" }
}
