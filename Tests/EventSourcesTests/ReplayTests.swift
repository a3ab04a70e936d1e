import ClusterProtocol
import ClusterState
import ClusterdashTesting
import EventSources
import Foundation
import Testing

@Suite struct ReplayTests {
    /// A recording of a scripted stream, one event every 100 ms.
    func recording() -> (Recording, [Envelope]) {
        var f = EnvelopeFactory(start: t0, stepMillis: 100)
        var es = [f.make(.snapshot(EnvelopeFactory.healthySnapshot(nodes: 3)))]
        for i in 0..<50 {
            es.append(
                f.make(
                    .replicationLag(ReplicationLag(follower: "node-2", leader: "node-1", lagMillis: Int64(i * 10), lagEntries: 1, walPosition: nil)),
                    source: "node-2"))
            if i == 20 { es.append(f.make(.demoted(Demoted(node: "node-1", cause: .health, term: 7)))) }
            if i == 25 {
                es.append(f.make(.roleChanged(RoleChanged(node: "node-3", from: .replica, to: .primary, term: 8, reason: nil)), source: "node-3"))
            }
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
