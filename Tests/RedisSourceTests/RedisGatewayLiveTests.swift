import ClusterProtocol
import ClusterState
import ClusterdashTesting
import EventSources
import Foundation
import Logging
import ProtocolV1Server
import Testing

@testable import RedisSource

// `clusterdash gateway` in front of the real Redis Cluster: part of
// RedisClusterLiveTests (one suite, one test at a time: they move slots).
extension RedisClusterLiveTests {
    @Test("behind the gateway: the slot table reaches a WebSocket client, and its migrate op (hash tag, target address) moves the tenant")
    func gatewayServesTheClusterAndMigrates() async throws {
        let source = LiveRedisCluster.source()
        let core = StreamCore(engine: RelayEngine(sink: source, clock: wallClockNow))
        var options = StreamServerOptions()
        options.port = 0
        options.operateToken = "operate-secret"
        options.realtime = false
        let server = try await StreamServer.serve(
            core: core, options: options, services: [RelayPump(source: source, core: core)], logger: quietLogger())
        let client = TestStreamClient(url: server.url, token: "operate-secret")
        client.send(.subscribe(resume: nil))
        func state() async -> ClusterState {
            var s = ClusterState()
            for e in await client.envelopes() { s.apply(e) }
            return s
        }
        var s = ClusterState()
        for _ in 0..<200 {
            s = await state()
            if s.assignment?.partitions.count == HashSlot.count, s.primaries.count == 3, s.engine?.name == "redis-cluster" { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(s.assignment?.partitions.count == HashSlot.count, "the slot table came through the gateway")
        #expect(s.engine?.provides.contains("assignments") == true)
        #expect(SourceCapabilities(engine: try #require(s.engine)).contains(.migrate))
        let tag = "cd-gw-\(UInt32.random(in: 0...UInt32.max))"
        let slot = HashSlot.of(tag)
        let from = try #require(owner(slot, in: s))
        let to = try #require(topology(s).map(\.master).first { $0 != from })
        try await writeKeys(tag, count: 500, at: from)
        client.send(.migrate(requestID: "gw-move-1", tenant: "{\(tag)}", target: to, dryRun: false))
        func results() async -> [CommandResult] {
            await client.envelopes().compactMap { e in
                if case .commandResult(let r) = e.event, r.requestID == "gw-move-1" { return r }
                return nil
            }
        }
        var answered: [CommandResult] = []
        for _ in 0..<300 where !answered.contains(where: { $0.status == .completed }) {
            try await Task.sleep(for: .milliseconds(100))
            answered = await results()
        }
        #expect(answered.map(\.status) == [.accepted, .completed], "\(answered.map(\.reason))")
        #expect(try await readable(tag, count: 500, at: to) == 500)
        let after = await state()
        #expect(after.migrations.values.contains { $0.info.tenant.contains(tag) && $0.info.state == .completed })
        try await deleteKeys(tag, count: 500, at: to)
        client.close()
        await server.stop()
    }
}
