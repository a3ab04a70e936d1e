import ClusterProtocol
import ClusterSim
import ClusterState
import ClusterdashTesting
import EventSources
import Foundation
import NATSClient
import NATSStreamPublisher
import ProtocolV1Server
import Simulator
import Synchronization
import Testing

@testable import NATSStreamSource

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

    /// The publisher's server, a reader's, the stream leader's, each
    /// SIGKILLed and started again at each moment of the election that
    /// follows (issue 23): at once, during it (2 s, 6 s) and after it
    /// (10 s); and two servers down for 30 s, publishing impossible.
    @Test(arguments: KillPlan.matrix)
    func twentyReadersThroughAKillMidStreamEndExactAndApplyEveryEventOnce(_ plan: KillPlan) async throws {
        let run = try await KillRun.start(tag: "kill", rate: 1_000, holdLimit: 100_000)
        do {
            try await killAndCheck(run, plan)
        } catch {
            // A case that failed stops its publisher and its 20 readers: left
            // running they starved every case after it (CI: slow consumers,
            // connections timed out, each later case failing the same way).
            await run.stop()
            throw error
        }
    }

    func killAndCheck(_ run: KillRun, _ plan: KillPlan) async throws {
        // The two-server outage is long: the publisher holds 30,000 events, its readers hear so.
        let victims = try await run.victims(plan.target)
        let killedAt = wallClockNow()
        try await run.kill(victims)
        let outage = try await run.watchOutage(for: .seconds(plan.restartAfter))
        try await run.restart(victims)
        try await Task.sleep(for: .seconds(3))
        try await run.finish()
        let seen = try await run.compare(plan: plan)
        let publisher = run.publisher.stats
        // Nothing lost: no new epoch, no reader with a hole in its history.
        #expect(publisher.epochs == 1, "\(plan): the publisher began a new epoch: \(publisher)")
        #expect(publisher.lostEvents == 0, "\(plan): \(publisher)")
        for (k, r) in seen.enumerated() {
            #expect(r.lost.isEmpty, "\(plan): reader \(k) lost \(r.lost.map(\.brief))")
        }
        // 1,000 events a second for 10 s and more, read by 20.
        #expect(seen.reduce(0) { $0 + $1.events } > 20 * 5_000)
        if case .twoServers = plan.target {
            #expect(outage.publisherHeld > 1_000, "the publisher held what it could not store: \(outage)")
            #expect(outage.readersTold > 0, "readers on the surviving server heard that the publisher holds events: \(outage)")
        }
        if case .publishersServer = plan.target {
            #expect(publisher.connections >= 2, "the publisher moved to another server: \(publisher)")
        }
        let resumed = run.readers.filter { $0.source.stats.reduce(0) { $0 + $1.connections } >= 2 }.count
        #expect(resumed >= 6, "readers whose server died resumed elsewhere: \(resumed)")
        print(
            "kill \(plan): victims \(victims) at \(killedAt.clockTime); publisher \(publisher.published) published, \(publisher.republished) again, held at most \(outage.publisherHeld)"
        )
        await run.stop()
    }

    /// Past the hold's bound (5,000 events; two servers down 8 s at 1,000
    /// events a second) history is lost, and every reader shows exactly
    /// the windows the publisher lost, each from its last event to the new
    /// epoch's snapshot. Mostly one; two when the restarted servers take
    /// longer than the bound (5 s) to give the stream a leader again (seen
    /// under load on 2.9.10: 12 s): that second loss is as real as the
    /// first, and is held to the same account.
    ///
    /// (With a bound of 2,000, two seconds of held events, a lease renewal
    /// late before the kill passed it: this process runs 20 readers and the
    /// publisher on two cores, and its renewals came up to 4 s apart. That
    /// loss was said and shown as it should be, but it was a second window
    /// and not the one this test is about.)
    @Test func pastTheHoldsBoundEveryReaderShowsTheSameLostWindow() async throws {
        let run = try await KillRun.start(tag: "bound", rate: 1_000, holdLimit: 5_000)
        let victims = try await run.victims(.twoServers)
        try await run.kill(victims)
        _ = try await run.watchOutage(for: .seconds(8))
        try await run.restart(victims)
        // Publishing again (a new epoch) before the simulator stops.
        let publishing = await NATSStreamLiveTests.waitUntil(30) {
            let s = run.publisher.stats
            return s.epochs >= 2 && !s.awaitingStreamLeader && s.held == 0
        }
        #expect(publishing)
        try await Task.sleep(for: .seconds(3))
        try await run.finish()
        var publisher = run.publisher.stats
        let windows = publisher.lostWindows
        let seen = try await run.compare(plan: KillPlan(.twoServers, restartAfter: 8), losses: windows.count)
        publisher = run.publisher.stats
        #expect(!windows.isEmpty && publisher.lostWindows == windows, "\(publisher)")
        #expect(publisher.epochs == 1 + windows.count, "one new epoch a loss: \(publisher)")
        #expect(publisher.lostEvents > 5_000, "\(publisher)")
        // Every window ends at the new epoch's snapshot. Where it begins
        // may differ by reader: a stream leader left alone still delivers
        // what it stores but cannot commit (seen: readers on the surviving
        // server had 3.7 s of events after the kill that the publisher never
        // saw acknowledged and the restarted majority never held); each
        // reader shows exactly what it missed, within the publisher's range.
        let ends = Set(seen.map { $0.lost.map(\.to.millis) })
        #expect(ends.count == 1, "every reader's windows end at the same snapshots: \(ends)")
        for (k, r) in seen.enumerated() {
            #expect(r.lost.count == windows.count, "reader \(k): \(r.lost.map(\.brief)); the publisher: \(windows)")
            for (lost, w) in zip(r.lost, windows) {
                // The reader's hole (exact: from its last event to the new
                // epoch's snapshot) lies within what the publisher says it
                // may have lost (from its first unacknowledged or dropped
                // event: some unacknowledged ones were stored after all).
                #expect(lost.from.millis(since: w.from) > -1_000, "\(lost.brief); the publisher lost from \(w.from.clockTime)")
                #expect(lost.to >= w.from && lost.to <= w.to, "\(lost.brief); the publisher lost \(w.from.clockTime)-\(w.to.clockTime)")
                // What the publisher dropped, less what of its
                // unacknowledged ones the stream had stored after all.
                #expect(lost.events >= 5_000 && lost.events <= Int64(w.events), "\(lost.brief); the publisher lost \(w.events)")
            }
        }
        print("bound: \(seen.first?.lost.map(\.brief) ?? []); publisher \(publisher)")
        await run.stop()
    }

    /// A reader that read a lone stream leader's last entries (never
    /// committed; the next leader stores the new epoch at those sequences)
    /// stands past the new epoch's opening snapshot: it finds where the
    /// epoch begins, not the next snapshot after its own position (the
    /// bound case once skipped 5 s of stored history so).
    @Test func anEpochIsFoundWhereItBeginsWhenTheStreamWasRewrittenUnderTheReader() async throws {
        let subjects = try #require(Self.uniqueCluster("rewritten"))
        let c = try await NATSConnection.connect(try #require(LiveNATS.servers.first), logger: quietLogger())
        defer { c.close() }
        let js = JetStream(c)
        _ = try await js.ensureStream([
            "name": subjects.stream, "subjects": [subjects.events, subjects.snapshot], "storage": "memory", "num_replicas": 1,
        ])
        defer { Task { await Self.deleteStream(subjects) } }
        func put(_ subject: String, _ epoch: String) async throws {
            _ = try await js.publish(subject, headers: [NATSHeader(NATSSource.epochHeader, epoch)], payload: Array("{}".utf8))
        }
        // 1-5 of the old epoch, 6 the new one's snapshot, 7-16 its events.
        for _ in 1...5 { try await put(subjects.events(of: "n1"), "old") }
        try await put(subjects.snapshot, "new")
        for _ in 7...16 { try await put(subjects.mixedEvents, "new") }
        func first(after: UInt64, stored: (UInt64, UInt64) = (1, 16)) async throws -> UInt64? {
            try await NATSSource.firstMessage(js, stream: subjects.stream, of: "new", atOrBefore: after, stored: stored)
        }
        #expect(try await first(after: 12) == 6)
        #expect(try await first(after: 6) == 6)
        // The reader stands before it: the epoch begins after it, as always.
        #expect(try await first(after: 5) == nil)
        #expect(try await first(after: 0) == nil)
        // The stream now shorter than the reader's position.
        #expect(try await first(after: 40) == 6)
        // Its oldest aged out: what is stored is looked at.
        #expect(try await first(after: 12, stored: (8, 16)) == 8)
        // An empty stream (first = last + 1).
        #expect(try await first(after: 12, stored: (17, 16)) == nil)
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
