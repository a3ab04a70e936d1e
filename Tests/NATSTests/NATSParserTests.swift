import NATSClient
import NIOCore
import Testing

@Suite("The NATS parser: whole operations out of bytes cut anywhere") struct NATSParserTests {
    /// What nats-server 2.9.10 sent (../shared/engines.md), concatenated.
    static let captured: [UInt8] = Array(
        ("INFO {\"server_id\":\"NBHJ\",\"version\":\"2.9.10\",\"headers\":true,\"max_payload\":1048576} \r\n"
            + "MSG cluster.events.pg.node.db1 1 25\r\n{\"role\":\"leader\",\"lag\":0}\r\n"
            + "HMSG cluster.events.pg.node.db2 1 32 61\r\nNATS/1.0\r\nNats-Msg-Id: evt-2\r\n\r\n{\"role\":\"replica\",\"lag\":1024}\r\n"
            + "PING\r\n"
            + "MSG $JS.EVENT.ADVISORY.STREAM.LEADER_ELECTED.X 1  2\r\nok\r\n"
            + "HMSG _INBOX.dash.2 2 16 16\r\nNATS/1.0 503\r\n\r\n\r\n"
            + "+OK\r\n-ERR 'Unknown Protocol Operation'\r\nPONG\r\n").utf8)

    static let expected: [NATSServerOp] = [
        .info("{\"server_id\":\"NBHJ\",\"version\":\"2.9.10\",\"headers\":true,\"max_payload\":1048576}"),
        .message(NATSMessage(subject: "cluster.events.pg.node.db1", sid: "1", payload: Array("{\"role\":\"leader\",\"lag\":0}".utf8))),
        .message(
            NATSMessage(
                subject: "cluster.events.pg.node.db2", sid: "1", headers: [NATSHeader("Nats-Msg-Id", "evt-2")],
                payload: Array("{\"role\":\"replica\",\"lag\":1024}".utf8))),
        .ping,
        .message(NATSMessage(subject: "$JS.EVENT.ADVISORY.STREAM.LEADER_ELECTED.X", sid: "1", payload: Array("ok".utf8))),
        .message(NATSMessage(subject: "_INBOX.dash.2", sid: "2", status: 503, payload: [])),
        .ok, .err("Unknown Protocol Operation"), .pong,
    ]

    static func parseAll(_ chunks: [[UInt8]], parser: NATSParser = NATSParser()) throws -> [NATSServerOp] {
        var buffer = ByteBuffer()
        var out: [NATSServerOp] = []
        for chunk in chunks {
            buffer.writeBytes(chunk)
            while let op = try parser.parse(&buffer) { out.append(op) }
            buffer.discardReadBytes()
        }
        #expect(buffer.readableBytes == 0)
        return out
    }

    @Test func theCapturedBytesInOneRead() throws {
        #expect(try Self.parseAll([Self.captured]) == Self.expected)
    }

    @Test func cutAtEveryByteThePartsGiveTheSameOperations() throws {
        let bytes = Self.captured
        for cut in 1..<bytes.count {
            let ops = try Self.parseAll([Array(bytes[..<cut]), Array(bytes[cut...])])
            #expect(ops == Self.expected, "cut at \(cut)")
        }
        // And one byte at a time, as a browser-framed WebSocket may deliver it.
        #expect(try Self.parseAll(bytes.map { [$0] }) == Self.expected)
    }

    @Test func aReplySubjectAndTheStatusText() throws {
        let ops = try Self.parseAll([
            Array("MSG a.b 7 _INBOX.x.1 3\r\nabc\r\nHMSG d 9 $JS.FC.x.y.z 36 36\r\nNATS/1.0 100 FlowControl Request\r\n\r\n\r\n".utf8)
        ])
        #expect(ops.count == 2)
        guard case .message(let m) = ops[0], case .message(let fc) = ops[1] else {
            Issue.record("not messages: \(ops)")
            return
        }
        #expect(m.replyTo == "_INBOX.x.1")
        #expect(m.payload == Array("abc".utf8))
        #expect(fc.status == 100)
        #expect(fc.statusText == "FlowControl Request")
        #expect(fc.replyTo == "$JS.FC.x.y.z")
    }

    @Test func verbsInAnyCaseTheErrorsTextAndHeadersTrimmed() throws {
        let ops = try Self.parseAll([
            Array("ping\r\nMsg a.b 1 3\r\nabc\r\n-ERR  'Authorization Violation' \r\n+ok\r\n".utf8),
            Array("HMSG c 2 20 23\r\nNATS/1.0\r\nK:\t v \r\n\r\nxyz\r\n".utf8),
        ])
        #expect(ops.count == 5)
        #expect(ops.first == .ping)
        guard ops.count == 5, case .message(let m) = ops[1], case .message(let h) = ops[4] else {
            Issue.record("not as sent: \(ops)")
            return
        }
        #expect(m.subject == "a.b" && m.sid == "1" && m.payload == Array("abc".utf8))
        #expect(ops[2] == .err("Authorization Violation"))
        #expect(ops[3] == .ok)
        #expect(h.headers == [NATSHeader("K", "v")])
        #expect(h.payload == Array("xyz".utf8))
    }

    @Test func garbageIsAnErrorNeverACrashOrAGrowingBuffer() {
        let bad: [String] = [
            "FOO bar\r\n", "MSG a 1\r\n", "MSG a 1 x\r\n", "MSG a 1 -5\r\n", "MSG a 1 3\r\nabcXY", "HMSG a 1 9 3\r\nabc\r\n",
            "HMSG a 1 3 3\r\nabc\r\n", "MSG a 1 99999999999999999999\r\n", "MSG a 1 +3\r\nabc\r\n",
        ]
        for text in bad {
            #expect(throws: NATSProtocolError.self, "\(text.debugDescription)") { _ = try Self.parseAll([Array(text.utf8)]) }
        }
        // A control line that never ends is refused once it passes the limit.
        let parser = NATSParser(maxControlLine: 64, maxPayload: 1_024)
        #expect(throws: NATSProtocolError.self) { _ = try Self.parseAll([Array(repeating: 65, count: 100)], parser: parser) }
        #expect(throws: NATSProtocolError.self) { _ = try Self.parseAll([Array("MSG a 1 2048\r\n".utf8)], parser: parser) }
    }

    @Test func randomBytesNeverCrashIt() {
        var rng = SystemRandomNumberGenerator()
        let parser = NATSParser(maxControlLine: 256, maxPayload: 4_096)
        let alphabet = Array("MSG HMSG PING PONG INFO +OK -ERR 0123456789 abc.\r\n\r\n ".utf8)
        for _ in 0..<2_000 {
            var buffer = ByteBuffer()
            let n = Int.random(in: 0..<300, using: &rng)
            buffer.writeBytes((0..<n).map { _ in alphabet.randomElement(using: &rng) ?? 32 })
            var steps = 0
            while steps < 1_000, let op = try? parser.parse(&buffer) {
                _ = op
                steps += 1
            }
            #expect(steps < 1_000)
        }
    }

    @Test func whatTheClientSends() {
        var out = ByteBuffer()
        NATSClientOps.pub(subject: "a.b", replyTo: "r.1", headers: [], payload: Array("hi".utf8), into: &out)
        NATSClientOps.pub(subject: "a.b", replyTo: nil, headers: [NATSHeader("Nats-Msg-Id", "x")], payload: Array("hi".utf8), into: &out)
        NATSClientOps.sub(subject: "a.>", queue: "q", sid: "3", into: &out)
        #expect(
            String(buffer: out)
                == "PUB a.b r.1 2\r\nhi\r\nHPUB a.b 28 30\r\nNATS/1.0\r\nNats-Msg-Id: x\r\n\r\nhi\r\nSUB a.> q 3\r\n")
        #expect(NATSClientOps.isValidSubject("clusterdash.sim.ev.node-1"))
        #expect(!NATSClientOps.isValidSubject("a..b"))
        #expect(!NATSClientOps.isValidSubject("a b"))
        #expect(!NATSClientOps.isValidSubject("a.>"))
        #expect(NATSClientOps.isValidSubject("a.>", wildcards: true))
    }

    @Test func deliveryInfoFromReplySubjects() {
        let short = DeliveryInfo(replySubject: "$JS.ACK.CLUSTERDASH_sim.abc.1.1042.17.1733333333000000000.5")
        #expect(short == DeliveryInfo(replySubject: "$JS.ACK.CLUSTERDASH_sim.abc.1.1042.17.1733333333000000000.5"))
        #expect(short?.streamSeq == 1042)
        #expect(short?.consumerSeq == 17)
        #expect(short?.pending == 5)
        let long = DeliveryInfo(replySubject: "$JS.ACK.hub.ACCHASH.CLUSTERDASH_sim.abc.1.1042.17.1733333333000000000.5.tok")
        #expect(long?.streamSeq == 1042)
        #expect(long?.consumerSeq == 17)
        #expect(DeliveryInfo(replySubject: "_INBOX.x.1") == nil)
        #expect(DeliveryInfo(replySubject: "$JS.ACK.s.c.1.x.17.1.5") == nil)
        // Read as bytes: no sign, nothing past UInt64, no empty token, the prefix exact.
        #expect(DeliveryInfo(replySubject: "$JS.ACK.s.c.1.+1042.17.1.5") == nil)
        #expect(DeliveryInfo(replySubject: "$JS.ACK.s.c.1.18446744073709551616.17.1.5") == nil)
        #expect(DeliveryInfo(replySubject: "$JS.ACK.s.c.1.18446744073709551615.17.1.5")?.streamSeq == UInt64.max)
        #expect(DeliveryInfo(replySubject: "$JS.ACK.s.c.1..17.1.5") == nil)
        #expect(DeliveryInfo(replySubject: "$JS.ACX.s.c.1.1042.17.1.5") == nil)
        #expect(DeliveryInfo(replySubject: "$JS.ACK.s.c.1.1042.17.1") == nil)
    }
}
