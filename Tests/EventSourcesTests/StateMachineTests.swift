import ClusterProtocol
import ClusterState
import ClusterdashTesting
import EventSources
import Foundation
import Testing

let t0 = Timestamp(millis: 1_795_438_800_000)

@Suite struct ReconnectMachineTests {
    @Test func backoffDoublesToTheCapWithFullJitter() {
        var m = ReconnectMachine()
        #expect(m.connecting() == .connect)
        #expect(m.status == .connecting(attempt: 1))
        var now = t0
        var ceilings: [Int64] = []
        for n in 1...10 {
            let action = m.disconnected(now: now, reason: .closed("refused"))
            guard case .wait(let until) = action else {
                Issue.record("expected a wait")
                return
            }
            let delay = until.millis(since: now)
            let ceiling = m.ceilingMillis(retry: n)
            ceilings.append(ceiling)
            #expect(delay >= 0 && delay <= ceiling, "retry \(n): \(delay) ms over \(ceiling)")
            #expect(m.status == .backingOff(until: until, attempt: n, reason: "refused"))
            now = until
            #expect(m.retryDue(now: now) == .connect)
            #expect(m.status == .connecting(attempt: n + 1, lastError: "refused"))
        }
        #expect(ceilings == [250, 500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000])
    }

    @Test func jitterIsSpreadNotConstant() {
        var m = ReconnectMachine(seed: 42)
        var delays: Set<Int64> = []
        for _ in 0..<20 {
            _ = m.connecting()
            m.connected(now: t0)
            // Connected only briefly: the count keeps growing, to the cap.
            if case .wait(let until) = m.disconnected(now: t0.adding(millis: 10), reason: .closed("x")) {
                delays.insert(until.millis(since: t0))
            }
        }
        #expect(delays.count > 10)
    }

    @Test func aHealthyMinuteResetsTheCount() {
        var m = ReconnectMachine()
        for _ in 0..<6 { _ = m.disconnected(now: t0, reason: .closed("x")) }
        #expect(m.failures == 6)
        _ = m.connecting()
        m.connected(now: t0)
        m.heard(now: t0.adding(millis: 61_000))
        #expect(m.failures == 0)
        guard case .wait(let until) = m.disconnected(now: t0.adding(millis: 61_500), reason: .closed("x")) else {
            Issue.record("expected a wait")
            return
        }
        #expect(until.millis(since: t0.adding(millis: 61_500)) <= 250)
    }

    /// Found when tried as a new user would: after several restarts in a row
    /// the retries got slower each time (the count reset only after 60 s), so
    /// the dashboard could stay blind for 30 s after its server was back.
    @Test func aRestartAfterAnAnsweredSubscriptionRetriesQuicklyEveryTime() {
        var m = ReconnectMachine(seed: 9)
        var now = t0
        for restart in 1...20 {
            _ = m.connecting()
            m.connected(now: now)
            m.subscribed(now: now.adding(millis: 5))
            now = now.adding(millis: 1_500)
            // The server goes away and refuses for 10 s before it accepts again.
            var down = now
            _ = m.disconnected(now: now, reason: .closed("closed by the server"))
            #expect(m.failures == 1, "restart \(restart): the count starts again")
            while down.millis(since: now) < 10_000 {
                guard case .backingOff(let until, _, _) = m.status else {
                    Issue.record("expected a backoff")
                    return
                }
                #expect(until.millis(since: down) <= 2_000, "restart \(restart): a retry waits at most 2 s")
                down = until
                _ = m.retryDue(now: down)
                _ = m.disconnected(now: down, reason: .closed("connection refused"))
            }
            now = down
        }
    }

    @Test func aServerThatDropsAtOnceSeesABoundedNumberOfAttempts() {
        for answersFirst in [false, true] {
            var m = ReconnectMachine(seed: 3)
            var now = t0
            var attempts = 0
            while now.millis(since: t0) < 60_000 {
                _ = m.connecting()
                attempts += 1
                m.connected(now: now)
                if answersFirst { m.subscribed(now: now.adding(millis: 2)) }
                guard case .wait(let until) = m.disconnected(now: now.adding(millis: 10), reason: .closed("closed by the server")) else {
                    Issue.record("expected a wait")
                    return
                }
                now = until
            }
            // Waits of at least 0, 0.25, 0.5, 1, 2, 4, 8, 15, 15 s: ten at the most, however the jitter falls.
            #expect(attempts <= 10, "\(attempts) attempts in a minute (answering first: \(answersFirst))")
        }
    }

    @Test func aLongOutageBacksOffToTheCapAfterTheRestartWindow() {
        var m = ReconnectMachine()
        _ = m.connecting()
        m.connected(now: t0)
        m.subscribed(now: t0)
        _ = m.disconnected(now: t0.adding(millis: 5_000), reason: .closed("closed by the server"))
        for _ in 0..<10 { _ = m.disconnected(now: t0.adding(millis: 30_000), reason: .closed("connection refused")) }
        #expect(m.ceilingMillis(retry: m.failures, now: t0.adding(millis: 30_000)) == 2_000)
        #expect(m.ceilingMillis(retry: m.failures, now: t0.adding(millis: 70_000)) == 30_000)
        #expect(m.status.label == "backing off")
        #expect(m.lastError == "connection refused")
        _ = m.connecting()
        #expect(m.status == .connecting(attempt: m.failures + 1, lastError: "connection refused"))
    }

    @Test func unauthorizedRetriesSlowly() {
        var m = ReconnectMachine()
        let action = m.disconnected(now: t0, reason: .unauthorized)
        #expect(action == .wait(until: t0.adding(millis: 30_000)))
        #expect(m.status == .unauthorized(retryAt: t0.adding(millis: 30_000)))
        #expect(m.status.label == "unauthorized")
    }

    @Test func silenceMakesALiveConnectionStale() {
        var m = ReconnectMachine()
        _ = m.connecting()
        m.connected(now: t0)
        m.heard(now: t0.adding(millis: 5_000))
        #expect(m.tick(now: t0.adding(millis: 34_000)) == .nothing)
        #expect(m.status == .live(since: t0, lastFrameAt: t0.adding(millis: 5_000)))
        #expect(m.tick(now: t0.adding(millis: 35_000)) == .dropStale)
        #expect(m.status == .stale(lastFrameAt: t0.adding(millis: 5_000)))
    }

    @Test func fatalGivesUp() {
        var m = ReconnectMachine()
        #expect(m.disconnected(now: t0, reason: .fatal("invalid URL")) == .giveUp)
        #expect(m.status == .failed(reason: "invalid URL"))
    }
}

private func received(_ e: Envelope, endpoint: Int = 0) -> Received {
    Received(envelope: e, endpoint: endpoint, receivedAt: e.timestamp)
}

@Suite struct QueueAndFeedTests {
    @Test func queueOverflowDropsInsteadOfGrowing() {
        let q = EnvelopeQueue(capacity: 100)
        var f = EnvelopeFactory()
        for _ in 0..<250 {
            q.push(received(f.make(.stateChangeSuppressed(StateChangeSuppressed(node: "node-1", state: "primary")))))
            #expect(q.count <= 100)
        }
        #expect(q.overflows == 2)
        let batch = q.take()
        #expect(batch.items.count == 48)
        #expect(batch.dropped == 202)
        #expect(q.take().dropped == 0)
    }

    /// Taking swaps the storage out and `recycle` hands an emptied buffer
    /// back: across takes, recycles and partial takes every envelope comes
    /// out once, in order, and a recycled batch is left empty.
    @Test func recycledBuffersKeepOrderAndLoseNothing() {
        let q = EnvelopeQueue(capacity: 1_000)
        var f = EnvelopeFactory()
        var pushed: [String] = []
        var taken: [String] = []
        for round in 0..<20 {
            for _ in 0..<(round * 7 % 30 + 1) {
                let e = f.make(.stateChangeSuppressed(StateChangeSuppressed(node: "node-1", state: "primary")))
                pushed.append(e.id)
                q.push(received(e))
            }
            var batch = round % 3 == 0 ? q.take(max: 5) : q.take()
            taken += batch.items.map(\.envelope.id)
            q.recycle(&batch)
            #expect(batch.items.isEmpty)
        }
        taken += q.take().items.map(\.envelope.id)
        #expect(taken == pushed)
        #expect(pushed.count > 200)
    }

    @Test func feedAsksForSnapshotsOnGapsAndOverflowRateLimited() {
        var f = EnvelopeFactory()
        var feed = Feed()
        _ = feed.apply(Batch(items: [received(f.make(.snapshot(EnvelopeFactory.healthySnapshot())))], dropped: 0, backlog: 1), endpoints: 2, now: t0)
        let a = f.make(.stateChangeSuppressed(StateChangeSuppressed(node: "node-1", state: "primary")))
        f.lose(5, from: "node-1")
        let b = f.make(.stateChangeSuppressed(StateChangeSuppressed(node: "node-1", state: "primary")))
        let requests = feed.apply(Batch(items: [received(a, endpoint: 1), received(b, endpoint: 1)], dropped: 0, backlog: 2), endpoints: 2, now: t0)
        #expect(requests == [1])
        #expect(feed.lastResync?.hasPrefix("gap from node-1") == true)
        // Another gap a second later: not asked again yet.
        f.lose(3, from: "node-1")
        let c = f.make(.stateChangeSuppressed(StateChangeSuppressed(node: "node-1", state: "primary")))
        #expect(feed.apply(Batch(items: [received(c, endpoint: 1)], dropped: 0, backlog: 1), endpoints: 2, now: t0.adding(millis: 1_000)).isEmpty)
        // Overflow: every endpoint, once the interval passed.
        let overflow = feed.apply(Batch(items: [], dropped: 5_000, backlog: 70_000), endpoints: 2, now: t0.adding(millis: 2_500))
        #expect(overflow == [0, 1])
        #expect(feed.behind == 70_000)
        #expect(feed.droppedTotal == 5_000)
        #expect(feed.resyncRequests == 3)
    }
}

@Suite struct EnvelopeStamperTests {
    @Test func stampsTheContractsIdsAndSeqs() {
        var s = EnvelopeStamper(idPrefix: "x-", seqs: ["node-2": 40])
        let a = s.stamp(.demoted(Demoted(node: "node-1", cause: .health, term: 3)), from: "node-1", at: t0)
        let b = s.stamp(.demoted(Demoted(node: "node-1", cause: .health, term: 3)), from: "node-1", at: t0)
        let c = s.stamp(.commandResult(CommandResult(requestID: "r", op: "promote", status: .accepted, reason: nil)), from: "node-1", at: t0)
        let snap = s.stamp(.snapshot(EnvelopeFactory.healthySnapshot(nodes: 3)), from: "node-1", at: t0)
        let d = s.stamp(.leaderElected(LeaderElected(term: 4, leader: "node-2", votes: 2)), from: "node-2", at: t0)
        #expect([a.seq, b.seq, c.seq, snap.seq, d.seq] == [1, 2, 0, 2, 41])
        #expect(Set([a.id, b.id, c.id, snap.id, d.id]).count == 5)
        #expect(a.id == "x-1")
        s.restart("node-1")
        s.lose(3, from: "node-2")
        #expect(s.nextSeq(from: "node-1") == 1)
        #expect(s.nextSeq(from: "node-2") == 45)
    }
}

@Suite struct ReplayTests {
    /// A recording of a scripted stream, one event every 100 ms.
    func recording() -> (Recording, [Envelope]) {
        var f = EnvelopeFactory(start: t0, stepMillis: 100)
        var es = [f.make(.snapshot(EnvelopeFactory.healthySnapshot(nodes: 3)))]
        for i in 0..<50 {
            es.append(f.make(.replicationLag(ReplicationLag(follower: "node-2", leader: "node-1", lagMillis: Int64(i * 10), lagEntries: 1, walPosition: nil)), source: "node-2"))
            if i == 20 { es.append(f.make(.demoted(Demoted(node: "node-1", cause: .health, term: 7)))) }
            if i == 25 { es.append(f.make(.roleChanged(RoleChanged(node: "node-3", from: .replica, to: .primary, term: 8, reason: nil)), source: "node-3")) }
        }
        var text = ""
        for (i, e) in es.enumerated() {
            text += "{\"at\":\"\(e.timestamp.rfc3339)\",\"endpoint\":0,\"frame\":\(EnvelopeCodec.encodeString(e))}\n"
            if i == 10 { text += "this line is not JSON\n{\"at\":\"x\",\"frame\":{\"v\":1}}\n\n" }
        }
        return (Recording.parse(text), es)
    }

    @Test func malformedLinesAreCountedAndSkipped() {
        let (r, es) = recording()
        #expect(r.events.count == es.count)
        #expect(r.malformedLines == 2)
        #expect(r.firstError?.hasPrefix("line 12:") == true)
        // Bare envelopes are accepted too.
        let bare = Recording.parse(es.map(EnvelopeCodec.encodeString).joined(separator: "\n"))
        #expect(bare.events.count == es.count)
    }

    /// Found when tried as a new user would: one torn line (a crash mid-write,
    /// half a UTF-8 character) refused the whole file with NSCocoaErrorDomain
    /// 259. Every valid line plays; the bad ones are reported by number.
    @Test func aRecordingCutByACrashPlaysEveryValidLine() throws {
        let (_, es) = recording()
        var bytes: [UInt8] = []
        var expectedBad: [Int] = []
        var line = 0
        for (i, e) in es.enumerated() {
            line += 1
            bytes += Array("{\"at\":\"\(e.timestamp.rfc3339)\",\"endpoint\":0,\"frame\":\(EnvelopeCodec.encodeString(e))}\n".utf8)
            if i == 5 {
                // Invalid UTF-8 in the middle of the file (a lone continuation byte, a torn 3-byte sequence).
                line += 1
                expectedBad.append(line)
                bytes += Array("{\"at\":\"".utf8) + [0x80, 0xE2, 0x82] + Array("\"}\n".utf8)
            }
            if i == 30 {
                line += 1
                expectedBad.append(line)
                bytes += Array("{\"v\":1,\"id\":\"x\"".utf8) + [0x0A]
            }
        }
        // The last line cut mid-write, in the middle of a multi-byte character.
        let torn = Array("{\"at\":\"2026-11-23T13:00:00.000Z\",\"frame\":{\"v\":1,\"source\":\"n\u{e9}\u{e9}".utf8)
        bytes += torn.dropLast()
        line += 1
        expectedBad.append(line)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("torn-\(UInt32.random(in: 0...UInt32.max)).jsonl").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let r = try Recording.load(path: path)
        #expect(r.events.map(\.envelope.id) == es.map(\.id), "every valid line, in order")
        #expect(r.malformedLines == 3)
        #expect(r.badLines.map(\.line) == expectedBad)
        #expect(r.badLines.first?.reason == "not UTF-8 text")
        #expect(r.badLinesSummary == "3 bad lines skipped: \(expectedBad.map(String.init).joined(separator: ", "))")
        // The state it ends in is the state of the whole stream.
        var whole = ClusterState()
        for e in es { whole.apply(e) }
        var played = ClusterState()
        var cursor = ReplayCursor(recording: r)
        for e in cursor.playAll() { played.apply(e) }
        #expect(played.primaries == whole.primaries)
        #expect(played.seqs == whole.seqs)
    }

    @Test func aMissingRecordingIsAnErrorNamingTheFile() {
        #expect(throws: RecordingError.self) { try Recording.load(path: "/nonexistent/rec.jsonl") }
    }

    @Test func badLineNumbersAreBounded() {
        let text = String(repeating: "junk\n", count: 5_000)
        let r = Recording.parse(text)
        #expect(r.malformedLines == 5_000)
        #expect(r.badLines.count == Recording.badLineLimit)
        #expect(r.badLinesSummary?.hasSuffix(", …") == true)
    }

    @Test func playsOnAnInjectedClockWithSpeedPauseAndStep() {
        let (r, _) = recording()
        var c = ReplayCursor(recording: r)
        #expect(c.advance(wallMillis: 1).count == 1)  // the snapshot, the recording's first event
        #expect(c.advance(wallMillis: 100).count == 1)  // 100 ms later, the first lag sample
        c.setSpeed(10)
        #expect(c.advance(wallMillis: 100).count == 10)  // 1 s of recording
        c.pause()
        #expect(c.advance(wallMillis: 10_000).isEmpty)
        #expect(c.step() != nil)
        c.resume()
        let rest = c.advance(wallMillis: 100_000)
        #expect(c.finished)
        #expect(rest.count == r.events.count - 13)
    }

    @Test func stateAtTIsTheReducerOverTheEventsUpToT() {
        let (r, es) = recording()
        var c = ReplayCursor(recording: r)
        var live = ClusterState()
        for e in c.advance(wallMillis: 4_000) { live.apply(e) }
        // Seek back to 2.5 s: a fresh state fed from the start.
        let t = t0.adding(millis: 2_500)
        let (reset, events) = c.seek(to: t)
        #expect(reset)
        var rewound = ClusterState()
        for e in events { rewound.apply(e) }
        var expected = ClusterState()
        for e in es where e.timestamp <= t { expected.apply(e) }
        #expect(rewound.nodes == expected.nodes)
        #expect(rewound.followers == expected.followers)
        #expect(rewound.seqs == expected.seqs)
        #expect(Array(rewound.log) == Array(expected.log))
        #expect(rewound.hasNoPrimary, "node-1 was demoted at 2.3 s, before node-3 took over")
        // And forward again, past the failover.
        let (reset2, more) = c.seek(to: t0.adding(millis: 6_000))
        #expect(!reset2)
        for e in more { rewound.apply(e) }
        #expect(rewound.primaries == ["node-3"])
    }
}

@Suite struct ReplaySourceTests {
    @Test func playsARecordingIntoTheQueueWithPauseAndStep() async throws {
        var f = EnvelopeFactory(start: t0, stepMillis: 100)
        let es = [f.make(.snapshot(EnvelopeFactory.healthySnapshot()))] + (0..<30).map { i in
            f.make(.replicationLag(ReplicationLag(follower: "node-2", leader: "node-1", lagMillis: Int64(i), lagEntries: 0, walPosition: nil)), source: "node-2")
        }
        let recording = Recording.parse(es.map(EnvelopeCodec.encodeString).joined(separator: "\n"))
        let source = ReplaySource(recording: recording, name: "test", speed: 1)
        source.togglePause()
        source.start()
        try await Task.sleep(for: .milliseconds(100))
        #expect(source.queue.count == 0, "paused: nothing plays")
        source.step()
        source.step()
        #expect(source.queue.count == 2)
        source.setSpeed(100)
        source.togglePause()
        let deadline = ContinuousClock.now.advanced(by: .seconds(5))
        while !source.finished, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        try await Task.sleep(for: .milliseconds(50))
        let batch = source.queue.take()
        #expect(batch.items.count == es.count)
        #expect(batch.items.map(\.envelope) == es)
        #expect(source.statuses.first?.label == "stale", "a finished replay says so")
        await source.stop()
    }
}
