import ClusterProtocol
import NATSClient
import NATSStreamSource
import Testing

@testable import NATSStreamPublisher

/// The publisher's window of messages not yet acknowledged: each one goes
/// expecting the one before it at its place, so JetStream never stores a
/// message before one published earlier (issue 23's CI: a message lost with
/// a dying stream leader, then sent again, came after those stored since).
@Suite struct PublishWindowTests {
    func pending(_ id: String, ack: Int) -> PendingPublish {
        .init(
            subject: "s", headers: [NATSHeader(PublishWindow.msgIDHeader, id)], payload: [], ack: ack, at: Timestamp(millis: 0), events: 1)
    }

    func expected(_ w: PublishWindow) -> [String?] {
        w.messages.indices.map { i in w.wireHeaders(at: i).first { $0.name == PublishWindow.expectedHeader }?.value }
    }

    @Test func eachMessageExpectsTheOneBeforeItAndNoneBeforeTheStreamWasRead() {
        let unread = PublishWindow([pending("a", ack: 1), pending("b", ack: 2)])
        #expect(expected(unread) == [nil, nil])
        let read = PublishWindow([pending("a", ack: 1), pending("b", ack: 2), pending("c", ack: 3)], base: 10)
        #expect(expected(read) == ["10", "11", "12"])
    }

    @Test func anAcknowledgementMovesTheBaseAndAnOlderCopyNeverStepsItBack() {
        let box = AckBox()
        var w = PublishWindow([pending("a", ack: 1), pending("b", ack: 2), pending("c", ack: 3)], base: 10)
        for n in 1...3 { box.sent(n) }
        // The second answered first: nothing leaves before the first.
        box.acknowledged(2, seq: 12)
        #expect(w.dropAcknowledged(box) == 0)
        box.acknowledged(1, seq: 11)
        #expect(w.dropAcknowledged(box) == 2)
        #expect(w.base == 12 && expected(w) == ["12"])
        // A copy found stored earlier (a duplicate's answer) keeps the base.
        box.acknowledged(3, seq: 7)
        #expect(w.dropAcknowledged(box) == 1)
        #expect(w.base == 12 && w.isEmpty)
    }

    @Test func theStoredPrefixLeavesWhenTheStreamsLastMessageIsTheWindows() {
        var w = PublishWindow([pending("a", ack: 1), pending("b", ack: 2), pending("c", ack: 3)], base: 10)
        #expect(w.resync(lastSeq: 12, lastID: "b") == 2)
        #expect(w.base == 12 && w.messages.map(\.ack) == [3] && expected(w) == ["12"])
        // Nothing more stored: nothing leaves.
        #expect(w.resync(lastSeq: 12, lastID: "b") == 0)
        #expect(w.messages.count == 1)
    }

    /// Another writer, a recreated stream, or a message of an earlier epoch
    /// that came late: nothing is known stored, all goes again expecting
    /// the stream's last (copies already stored are found by their ids).
    @Test func aLastMessageNotTheWindowsKeepsEverything() {
        var foreign = PublishWindow([pending("a", ack: 1), pending("b", ack: 2)], base: 10)
        #expect(foreign.resync(lastSeq: 11, lastID: "x") == 0)
        #expect(foreign.messages.count == 2 && expected(foreign) == ["11", "12"])
        var beyond = PublishWindow([pending("a", ack: 1)], base: 10)
        #expect(beyond.resync(lastSeq: 15, lastID: "a") == 0)
        #expect(expected(beyond) == ["15"])
        var recreated = PublishWindow([pending("a", ack: 1)], base: 10)
        #expect(recreated.resync(lastSeq: 0, lastID: nil) == 0)
        #expect(expected(recreated) == ["0"])
        var unread = PublishWindow([pending("a", ack: 1)])
        #expect(unread.resync(lastSeq: 4, lastID: "a") == 0)
        #expect(expected(unread) == ["4"])
    }

    /// The epoch in the stream is the last stored message's (an epoch's
    /// snapshot is stored before any of its events).
    @Test func theEpochStoredIsTheLastStoredMessages() {
        func m(_ id: String, _ epoch: String, ack: Int) -> PendingPublish {
            var p = pending(id, ack: ack)
            p.headers.append(NATSHeader(NATSSource.epochHeader, epoch))
            return p
        }
        let box = AckBox()
        var w = PublishWindow([m("a", "e1", ack: 1), m("s", "e2", ack: 2), m("b", "e2", ack: 3)], base: 10)
        for n in 1...3 { box.sent(n) }
        box.acknowledged(1, seq: 11)
        w.dropAcknowledged(box)
        #expect(w.storedEpoch == "e1")
        #expect(w.resync(lastSeq: 13, lastID: "b") == 2)
        #expect(w.storedEpoch == "e2" && w.isEmpty)
    }

    /// A new epoch drops what waited; what comes next still expects the
    /// last one known stored.
    @Test func removingAllKeepsTheBase() {
        var w = PublishWindow([pending("a", ack: 1)], base: 10)
        w.removeAll()
        w.append(pending("snap", ack: 2))
        #expect(w.events == 1 && expected(w) == ["10"])
    }
}
