import ClusterProtocol
import NATSStreamSource
import Testing

@testable import NATSStreamPublisher

/// Consecutive envelopes share one stored message (issue
/// 23's throughput: JetStream's cost is per message): what the publisher
/// gathers, the reader gets back, in order, each envelope whole; a bad one
/// fails alone; a message from before batching reads as one envelope.
@Suite struct StoredBatchTests {
    func envelope(_ seq: Int64, note: String = "ok") -> Envelope {
        Envelope(
            id: "e\(seq)", source: "n1", seq: seq, timestamp: Timestamp(millis: 1_795_438_800_000 + seq),
            event: .heartbeat(NodeHeartbeat(node: note, role: .replica, health: .healthy, term: 1)))
    }

    func bytes(_ e: Envelope) -> [UInt8] { Array(EnvelopeCodec.encodeString(e).utf8) }

    @Test func aBatchReadsBackAsItsEnvelopesInOrder() throws {
        // A line feed inside a string is escaped in JSON: it never cuts a batch.
        let sent = [envelope(1), envelope(2, note: "two\nlines"), envelope(3)]
        var batch = StreamBatch(subject: "s", id: sent[0].id, payload: bytes(sent[0]), at: sent[0].timestamp)
        for e in sent.dropFirst() {
            #expect(batch.takes(payload: bytes(e)))
            batch.add(bytes(e), subject: "s", mixed: "m")
        }
        #expect(batch.events == 3)
        let headers = StoredBatch.headers(firstID: batch.firstID, events: batch.events, epoch: "gw-1")
        #expect(headers.first { $0.name == "Nats-Msg-Id" }?.value == "e1+3")
        #expect(headers.first { $0.name == StoredBatch.eventsHeader }?.value == "3")
        let read = try StoredBatch.envelopes(in: batch.payload, count: 3).map { try $0.get() }
        #expect(read == sent)
    }

    @Test func aMessageWithoutTheCountIsOneEnvelopeAsBeforeBatching() throws {
        let e = envelope(7)
        let headers = StoredBatch.headers(firstID: e.id, events: 1, epoch: "gw-1")
        #expect(headers.first { $0.name == "Nats-Msg-Id" }?.value == "e7")
        #expect(!headers.contains { $0.name == StoredBatch.eventsHeader })
        let read = try StoredBatch.envelopes(in: bytes(e), count: nil).map { try $0.get() }
        #expect(read == [e])
    }

    @Test func aBadLineFailsAloneAndAWrongCountIsSaid() throws {
        let payload = bytes(envelope(1)) + [10] + Array("{not json".utf8) + [10] + bytes(envelope(3))
        let read = StoredBatch.envelopes(in: payload, count: 3)
        #expect(read.count == 3)
        #expect(try read[0].get() == envelope(1))
        #expect((try? read[1].get()) == nil)
        #expect(try read[2].get() == envelope(3))
        // Says four, holds three: the three read, then an error for the count.
        let miscounted = StoredBatch.envelopes(in: bytes(envelope(1)) + [10] + bytes(envelope(2)) + [10] + bytes(envelope(3)), count: 4)
        #expect(miscounted.count == 4)
        #expect(miscounted.prefix(3).allSatisfy { (try? $0.get()) != nil })
        #expect((try? miscounted[3].get()) == nil)
        // An unreadable count (-1) reads the lines and says so.
        let unreadable = StoredBatch.envelopes(in: bytes(envelope(1)), count: -1)
        #expect(unreadable.count == 2 && (try? unreadable[0].get()) == envelope(1))
    }

    @Test func aBatchOfOneSourceKeepsItsSubjectAndOfSeveralGoesToTheMixedOne() throws {
        let subjects = try #require(ClusterSubjects(cluster: "c1"))
        let one = bytes(envelope(1))
        var batch = StreamBatch(subject: subjects.events(of: "n1"), id: "e1", payload: one, at: envelope(1).timestamp)
        batch.add(one, subject: subjects.events(of: "n1"), mixed: subjects.mixedEvents)
        #expect(batch.subject == "clusterdash.c1.ev.n1")
        batch.add(one, subject: subjects.events(of: "n2"), mixed: subjects.mixedEvents)
        batch.add(one, subject: subjects.events(of: "n1"), mixed: subjects.mixedEvents)
        #expect(batch.subject == "clusterdash.c1.ev.mixed.sources")
        // No source's subject is the mixed one (a source id's dots become `_`).
        #expect(subjects.events(of: "mixed.sources") != subjects.mixedEvents)
        // Readers filter on every events subject: the mixed one is among them.
        #expect(subjects.mixedEvents.hasPrefix(String(subjects.events.dropLast())))
    }

    @Test func aBatchKeepsToItsBounds() {
        let one = bytes(envelope(1))
        var batch = StreamBatch(subject: "s", id: "e1", payload: one, at: envelope(1).timestamp)
        // Text with a raw line feed (never ours, but not ours to split) goes alone.
        #expect(!batch.takes(payload: Array("{\"a\":\n1}".utf8)))
        let alone = StreamBatch(subject: "s", id: "x", payload: Array("{\"a\":\n1}".utf8), at: envelope(1).timestamp)
        #expect(!alone.takes(payload: one))
        while batch.events < StoredBatch.maxEvents { batch.add(one, subject: "s", mixed: "m") }
        #expect(!batch.takes(payload: one))
        // Bytes: one envelope near the bound fills a batch.
        let big = Array(repeating: UInt8(32), count: StoredBatch.maxBytes - one.count)
        let first = StreamBatch(subject: "s", id: "e1", payload: one, at: envelope(1).timestamp)
        #expect(!first.takes(payload: big))
        #expect(first.takes(payload: Array(big.dropLast(1))))
    }
}

/// As the publisher asks: whether an envelope can share a message, read
/// from its bytes (`StoredBatch.canJoin`).
extension StreamBatch {
    init(subject: String, id: String, payload: [UInt8], at: Timestamp) {
        self.init(subject: subject, id: id, payload: payload, at: at, joinable: StoredBatch.canJoin(payload))
    }

    func takes(payload: [UInt8]) -> Bool {
        takes(payload: payload, joinable: StoredBatch.canJoin(payload))
    }
}
