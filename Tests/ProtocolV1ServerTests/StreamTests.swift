import ClusterProtocol
import ClusterSim
import ClusterState
import ClusterdashTesting
import Foundation
import Logging
import ProtocolV1Server
import Testing

@Suite(.serialized) struct StreamTests {
    @Test func snapshotFirstThenContiguousLiveEvents() async throws {
        let server = try await startServer()
        defer { Task { await server.stop() } }
        await settle(server)
        let client = try await subscribedClient(server)
        defer { client.close() }
        for _ in 0..<20 { await server.core.advance(byMillis: 500) }
        let expectedSeqs = await server.core.seqs
        let es = try await client.waitFor("all events") { es in
            var last: [String: Int64] = [:]
            for e in es where e.seq > 0 { last[e.source] = e.seq }
            return last == expectedSeqs
        }
        #expect(es.first?.type == "cluster.snapshot")
        var state = ClusterState()
        var last: [String: Int64] = [:]
        for (i, e) in es.enumerated() {
            let out = state.apply(e)
            #expect(out.resync == nil)
            if i > 0 {
                #expect(e.seq == (last[e.source] ?? 0) + 1, "\(e.source) seq \(e.seq) after \(last[e.source] ?? 0)")
            } else if case .snapshot(let s) = e.event {
                last = s.seqs
                continue
            }
            last[e.source] = e.seq
        }
        var truth = ClusterState()
        truth.apply(await server.core.snapshot())
        #expect(state.primaries == truth.primaries)
        #expect(state.assignment?.partitions == truth.assignment?.partitions)
        #expect(state.term == truth.term)
        #expect(await client.inbox.decodeErrors.isEmpty)
    }

    @Test func resumeAfterDisconnectReplaysExactlyTheMissedEvents() async throws {
        let server = try await startServer()
        defer { Task { await server.stop() } }
        await settle(server)
        let first = TestStreamClient(url: server.url)
        first.send(.subscribe(resume: nil))
        try await first.waitFor("the snapshot") { !$0.isEmpty }
        await server.core.advance(byMillis: 2_000)
        let seen = await server.core.seqs
        let a = try await first.waitFor("first client's events") { es in
            var last: [String: Int64] = [:]
            for e in es {
                if case .snapshot(let s) = e.event { last.merge(s.seqs) { _, n in n } } else if e.seq > 0 { last[e.source] = e.seq }
            }
            return last == seen
        }
        first.close()
        try await first.waitClosed()
        var resume: [String: Int64] = [:]
        for e in a where e.seq > 0 {
            if case .snapshot(let s) = e.event { resume.merge(s.seqs) { _, n in n } } else { resume[e.source] = e.seq }
        }
        // Time passes while nobody listens.
        await server.core.advance(byMillis: 3_000)
        let now = await server.core.seqs
        let second = TestStreamClient(url: server.url)
        defer { second.close() }
        second.send(.subscribe(resume: resume))
        let resumed = resume
        let b = try await second.waitFor("the replay") { es in
            var last = resumed
            for e in es where e.seq > 0 { last[e.source] = e.seq }
            return last == now
        }
        #expect(!b.contains { $0.type == "cluster.snapshot" }, "a replay, not a snapshot")
        var last = resume
        for e in b {
            #expect(e.seq == (last[e.source] ?? 0) + 1, "replay of \(e.source): \(e.seq) after \(last[e.source] ?? 0)")
            last[e.source] = e.seq
        }
        #expect(Set(a.map(\.id)).isDisjoint(with: b.map(\.id)), "nothing seen twice")
        #expect(b.count > 10)
    }

    @Test func resumeTooOldGetsASnapshot() async throws {
        let server = try await startServer()
        defer { Task { await server.stop() } }
        await settle(server)
        let client = TestStreamClient(url: server.url)
        defer { client.close() }
        client.send(.subscribe(resume: ["node-1": 999_999]))
        let es = try await client.waitFor("a snapshot") { !$0.isEmpty }
        #expect(es.first?.type == "cluster.snapshot")
    }
}
