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
import Synchronization
import Testing

/// Reads a source into a state and keeps every (source, seq) it was given.
final class CountingReader: Sendable {
    let source: NATSSource
    struct Seen {
        var state = ClusterState()
        var seqs: [String: [Int64]] = [:]
        var snapshots = 0
        var results: [CommandResult] = []
    }
    let seen = Mutex(Seen())
    let task = Mutex<Task<Void, Never>?>(nil)

    init(_ source: NATSSource) {
        self.source = source
        source.start()
        task.withLock {
            $0 = Task { [self] in
                while !Task.isCancelled {
                    let batch = source.queue.take()
                    self.seen.withLock { s in
                        for r in batch.items {
                            s.state.apply(r.envelope)
                            switch r.envelope.event {
                            case .snapshot: s.snapshots += 1
                            case .commandResult(let c): s.results.append(c)
                            default: if r.envelope.seq > 0 { s.seqs[r.envelope.source, default: []].append(r.envelope.seq) }
                            }
                        }
                    }
                    try? await Task.sleep(for: .milliseconds(10))
                }
            }
        }
    }

    func stop() async {
        let t = task.withLock { $0 }
        t?.cancel()
        await t?.value
        await source.stop()
    }
}

/// What a direct subscriber of the core adds up to: the gateway's own state.
final class Truth: Sendable {
    let state = Mutex(ClusterState())
    let task = Mutex<Task<Void, Never>?>(nil)

    init(core: SimulatorCore) async {
        let (_, stream) = await core.subscribe(resume: nil, covering: nil)
        let t = Task { [self] in
            for await batch in stream {
                self.state.withLock { s in
                    for text in batch { if let e = try? EnvelopeCodec.decode(text) { s.apply(e) } }
                }
            }
        }
        task.withLock { $0 = t }
    }
}

@Suite(.serialized, .enabled(if: LiveNATS.available, "needs scripts/nats-up")) struct NATSStreamLiveTests {
    static func simCore(rate: Double) -> SimulatorCore {
        var c = SimConfig()
        c.nodes = 5
        c.partitions = 64
        c.tenants = 4
        c.rate = rate
        c.coldStartWindowMillis = 1_000
        return SimulatorCore(config: c, start: wallClockNow())
    }

    /// Moves the simulated cluster with the wall clock until cancelled.
    static func drive(_ core: SimulatorCore) -> Task<Void, Never> {
        Task {
            while !Task.isCancelled {
                await core.advance(to: wallClockNow())
                try? await Task.sleep(for: .milliseconds(10))
            }
        }
    }

    static func uniqueCluster(_ tag: String) -> ClusterSubjects? {
        ClusterSubjects(cluster: "\(tag)-\(getpid())-\(UInt16.random(in: 0...UInt16.max))")
    }

    static func deleteStream(_ subjects: ClusterSubjects) async {
        guard let first = LiveNATS.servers.first, let c = try? await NATSConnection.connect(first, logger: quietLogger()) else { return }
        _ = try? await JetStream(c).call("STREAM.DELETE.\(subjects.stream)")
        c.close()
    }

    static func waitUntil(_ seconds: Double, _ ok: () -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if ok() { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return ok()
    }

    static func difference(_ a: ClusterSnapshot?, _ b: ClusterSnapshot?) -> String {
        guard let a, let b else { return "one is nil" }
        var out: [String] = []
        if a.seqs != b.seqs { out.append("seqs \(a.seqs) vs \(b.seqs)") }
        if a.leader != b.leader { out.append("leader") }
        if a.term != b.term { out.append("term") }
        if a.assignment != b.assignment { out.append("assignment") }
        if a.migrations != b.migrations { out.append("migrations") }
        for (x, y) in zip(a.nodes, b.nodes) where x != y { out.append("node \(x) vs \(y)") }
        if a.nodes.count != b.nodes.count { out.append("node count") }
        return out.joined(separator: "; ")
    }

    /// The publisher's server SIGKILLed and started again at each moment
    /// of the election that follows (issue 23): at once, during it (2 s,
    /// 6 s) and after it (10 s).
    @Test(arguments: [0, 2, 6, 10])
    func twentyReadersThroughAServerKilledMidStreamEndExactAndApplyEveryEventOnce(restartAfter seconds: Int) async throws {
        let subjects = try #require(Self.uniqueCluster("kill"))
        let servers = LiveNATS.servers
        try #require(servers.count == 3)
        let core = Self.simCore(rate: 1_000)
        let truth = await Truth(core: core)
        let driver = Self.drive(core)
        var config = NATSPublishConfig(servers: servers, subjects: subjects)
        config.snapshotEvery = .seconds(2)
        let publisher = NATSPublisher(core: core, config: config, logger: quietLogger())
        let publishing = Task { await publisher.run() }
        #expect(await Self.waitUntil(15) { publisher.stats.active && publisher.stats.snapshots >= 1 }, "\(publisher.stats)")
        // Each reader starts at a different server.
        let readers = (0..<20).map { k in
            var c = NATSSourceConfig(servers: Array(servers[(k % 3)...] + servers[..<(k % 3)]), cluster: subjects.cluster)
            c.heartbeatTimeout = .seconds(6)
            return CountingReader(NATSSource(config: c, clock: wallClockNow, logger: quietLogger()))
        }
        try await Task.sleep(for: .seconds(3))
        // SIGKILL the first server: the publisher's, and a third of the readers'.
        let pidFile = "\(LiveNATS.dir)/n1.pid"
        let pid = try #require(ChildProcess.pid(pidFile))
        #expect(kill(pid, SIGKILL) == 0)
        // Gone (a SIGKILL is delivered when the kernel gets to it), then
        // started again: the others elect new leaders in about 7 s here.
        #expect(await Self.waitUntil(5) { kill(pid, 0) != 0 }, "n1 still runs after SIGKILL")
        try await Task.sleep(for: .seconds(seconds))
        #expect(ChildProcess.spawnAndWait(["/bin/bash", "scripts/nats-up", "1"]) == 0)
        try await Task.sleep(for: .seconds(3))
        driver.cancel()
        await driver.value
        let final = await core.seqs
        // Every reader catches up with the core's last seq of every source.
        let caughtUp = await Self.waitUntil(120) {
            readers.allSatisfy { r in r.seen.withLock { $0.state.seqs } == final }
        }
        if !caughtUp {
            var info = "?"
            if let c = try? await NATSConnection.connect(servers[1], logger: quietLogger()) {
                info = (try? await JetStream(c).streamInfo(subjects.stream)).map { "\($0)" } ?? "no stream info"
                c.close()
            }
            Issue.record(
                "not caught up: publisher \(publisher.stats); stream \(info); reader 0: \(readers[0].source.statuses) at \(readers[0].source.lastStreamSeq ?? 0), \(readers[0].source.stats)"
            )
        }
        let expected = truth.state.withLock { $0.snapshotData() }
        var totalEvents = 0
        for (k, r) in readers.enumerated() {
            let seen = r.seen.withLock { $0 }
            let got = seen.state.snapshotData()
            #expect(
                got == expected,
                "reader \(k): not the core's state: \(Self.difference(got, expected)); resyncs \(r.source.resyncs); publisher \(publisher.stats)")
            for (source, seqs) in seen.seqs {
                // Once each, in order, no gap: consecutive from where its snapshot left off.
                let steps = zip(seqs, seqs.dropFirst()).filter { $0.1 != $0.0 + 1 }
                #expect(steps.isEmpty, "reader \(k) \(source): \(steps.prefix(3)) (not one after another)")
                #expect(seqs.last == final[source], "reader \(k) \(source)")
            }
            totalEvents += seen.seqs.values.reduce(0) { $0 + $1.count }
        }
        // 1,000 events a second for 10 s, read by 20.
        #expect(totalEvents > 20 * 5_000, "\(totalEvents)")
        #expect(publisher.stats.connections >= 2, "the publisher moved to another server: \(publisher.stats)")
        let resumed = readers.filter { $0.source.stats.reduce(0) { $0 + $1.connections } >= 2 }.count
        #expect(resumed >= 6, "readers whose server died resumed elsewhere: \(resumed)")
        for r in readers { await r.stop() }
        publishing.cancel()
        await publishing.value
        truth.task.withLock { $0 }?.cancel()
        await Self.deleteStream(subjects)
    }

    @Test func commandsByRequestReplyAndNoRespondersRefusedAtOnce() async throws {
        let subjects = try #require(Self.uniqueCluster("cmd"))
        let core = Self.simCore(rate: 5)
        let driver = Self.drive(core)
        defer { driver.cancel() }
        let publisher = NATSPublisher(core: core, config: NATSPublishConfig(servers: LiveNATS.servers, subjects: subjects), logger: quietLogger())
        let publishing = Task { await publisher.run() }
        #expect(await Self.waitUntil(15) { publisher.stats.active && publisher.stats.snapshots >= 1 })
        let reader = CountingReader(
            NATSSource(config: NATSSourceConfig(servers: LiveNATS.servers, cluster: subjects.cluster), clock: wallClockNow, logger: quietLogger()))
        #expect(await Self.waitUntil(15) { reader.seen.withLock { $0.state.primaries.count == 1 } })
        let candidate = try #require(reader.seen.withLock { s in s.state.nodeIDs.first { !s.state.primaries.contains($0) } })
        #expect(reader.source.send(.promote(requestID: "nats-promote-1", node: candidate)))
        #expect(await Self.waitUntil(10) { reader.seen.withLock { $0.results.contains { $0.requestID == "nats-promote-1" } } })
        let result = try #require(reader.seen.withLock { $0.results.first { $0.requestID == "nats-promote-1" } })
        // The simulator's own validator answered (accepted, or refused with its reason).
        #expect(result.op == "promote")
        #expect(publisher.stats.commands == 1)
        // The publisher gone: nobody answers, and the dashboard hears so at once.
        publishing.cancel()
        await publishing.value
        try await Task.sleep(for: .milliseconds(300))
        let sentAt = ContinuousClock.now
        #expect(reader.source.send(.promote(requestID: "nats-promote-2", node: candidate)))
        #expect(await Self.waitUntil(5) { reader.seen.withLock { $0.results.contains { $0.requestID == "nats-promote-2" } } })
        #expect(ContinuousClock.now - sentAt < .seconds(2))
        let refusal = try #require(reader.seen.withLock { $0.results.first { $0.requestID == "nats-promote-2" } })
        #expect(refusal.status == .rejected)
        #expect(refusal.reason?.contains("no responders") == true, "\(refusal.reason ?? "")")
        await reader.stop()
        await Self.deleteStream(subjects)
    }

    @Test func twoGatewaysOneActiveAndTheStandbyTakesOverWhenItDies() async throws {
        let subjects = try #require(Self.uniqueCluster("lease"))
        let core = Self.simCore(rate: 20)
        let driver = Self.drive(core)
        defer { driver.cancel() }
        var config = NATSPublishConfig(servers: LiveNATS.servers, subjects: subjects)
        config.instance = "gw-a"
        let a = NATSPublisher(core: core, config: config, logger: quietLogger())
        config.instance = "gw-b"
        config.servers = LiveNATS.servers.reversed()
        let b = NATSPublisher(core: core, config: config, logger: quietLogger())
        let runA = Task { await a.run() }
        #expect(await Self.waitUntil(15) { a.stats.active })
        let runB = Task { await b.run() }
        // Both up for a while: never both active.
        let both = Atomic<Int>(0)
        for _ in 0..<30 {
            if a.stats.active && b.stats.active { both.add(1, ordering: .relaxed) }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(both.load(ordering: .relaxed) == 0)
        #expect(!b.stats.active)
        #expect(b.stats.published == 0)
        let reader = CountingReader(
            NATSSource(config: NATSSourceConfig(servers: LiveNATS.servers, cluster: subjects.cluster), clock: wallClockNow, logger: quietLogger()))
        #expect(await Self.waitUntil(15) { reader.seen.withLock { $0.state.primaries.count == 1 } })
        // The active one dies (it never gives the lease back).
        runA.cancel()
        await runA.value
        let died = ContinuousClock.now
        #expect(await Self.waitUntil(20) { b.stats.active })
        let takeover = ContinuousClock.now - died
        #expect(takeover < .seconds(10), "standby took over in \(takeover)")
        if ProcessInfo.processInfo.environment["CLUSTERDASH_PRINT_TAKEOVER"] != nil { print("takeover: \(takeover)") }
        // The reader follows the new publisher to the core's state.
        let final = await core.seqs
        _ = final
        #expect(
            await Self.waitUntil(20) {
                let seqs = reader.seen.withLock { $0.state.seqs }
                return seqs.count == 5 && reader.source.resyncs >= 1
            })
        // A command now runs once, on the new active.
        let candidate = try #require(reader.seen.withLock { s in s.state.nodeIDs.first { !s.state.primaries.contains($0) } })
        #expect(reader.source.send(.promote(requestID: "lease-promote", node: candidate)))
        #expect(await Self.waitUntil(10) { reader.seen.withLock { $0.results.contains { $0.requestID == "lease-promote" } } })
        #expect(b.stats.commands == 1)
        #expect(a.stats.commands == 0)
        await reader.stop()
        runB.cancel()
        await runB.value
        await Self.deleteStream(subjects)
    }
}
