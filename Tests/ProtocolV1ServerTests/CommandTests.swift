import ClusterProtocol
import ClusterSim
import ClusterState
import ClusterdashTesting
import Foundation
import Logging
import ProtocolV1Server
import Testing

@Suite(.serialized) struct CommandTests {
    @Test func malformedFramesAndEarlyCommandsAreRejectedAndTheConnectionStays() async throws {
        let server = try await startServer()
        defer { Task { await server.stop() } }
        await settle(server)
        let client = TestStreamClient(url: server.url)
        defer { client.close() }
        client.send(.promote(requestID: "early", node: "node-2"))
        client.send("{not json")
        client.send(#"{"op":"reboot","request_id":"x-1"}"#)
        let rejected = try await client.waitFor("three rejections") { results($0).count == 3 }
        #expect(
            results(rejected) == [
                CommandResult(requestID: "early", op: "promote", status: .rejected, reason: "invalid_request"),
                CommandResult(requestID: nil, op: nil, status: .rejected, reason: "invalid_request"),
                CommandResult(requestID: "x-1", op: "reboot", status: .rejected, reason: "invalid_request"),
            ])
        #expect(rejected.allSatisfy { $0.seq == 0 })
        client.send(.subscribe(resume: nil))
        try await client.waitFor("the snapshot after the rejections") { $0.contains { $0.type == "cluster.snapshot" } }
        client.send(#"{"op":"promote","request_id":"r-2"}"#)
        try await client.waitFor("a fourth rejection") { results($0).count == 4 }
        #expect(await server.core.primary == "node-1")
    }

    @Test func promotionSequenceOverTheWire() async throws {
        let server = try await startServer()
        defer { Task { await server.stop() } }
        await settle(server)
        let client = try await subscribedClient(server)
        defer { client.close() }
        client.send(.promote(requestID: "r-7", node: "node-4"))
        try await client.waitFor("the result") { !results($0).isEmpty }
        await server.core.advance(byMillis: 1_000)
        let es = try await client.waitFor("the transfer") { $0.contains { $0.type == "failover.inhibited" && $0.correlationID == "r-7" } }
        let flow = es.filter { $0.correlationID == "r-7" }.map(\.type)
        #expect(
            flow == [
                "command.result", "failover.promotion_requested", "failover.promotion_validated", "failover.demoted",
                "node.role_changed", "failover.authority_transferred", "node.role_changed", "failover.inhibited",
            ])
        #expect(await server.core.primary == "node-4")
        // The same request id again: the same answer, no second promotion.
        client.send(.promote(requestID: "r-7", node: "node-4"))
        try await client.waitFor("the repeated result") { results($0).count == 2 }
        let again = await client.envelopes()
        #expect(results(again)[0] == results(again)[1])
        #expect(again.filter { $0.type == "failover.authority_transferred" }.count == 1)
    }

    @Test func migrationFromStartToCompletionAndACancelledOne() async throws {
        let server = try await startServer({ $0.drainEntriesPerSecond = 50_000 })
        defer { Task { await server.stop() } }
        await settle(server)
        let client = try await subscribedClient(server)
        defer { client.close() }
        client.send(.migrate(requestID: "m-a", tenant: "acme", target: "eu-west", dryRun: false))
        client.send(.migrate(requestID: "m-b", tenant: "globex", target: "us-east", dryRun: true))
        try await client.waitFor("two results") { results($0).count == 2 }
        for _ in 0..<10 { await server.core.advance(byMillis: 1_000) }
        let es = try await client.waitFor("completion") { $0.filter { $0.type == "migration.completed" }.count == 2 }
        var state = ClusterState()
        for e in es { state.apply(e) }
        #expect(state.tenants["acme"] == "eu-west")
        #expect(state.tenants["globex"] == "eu-west", "dry run: unchanged")
        client.send(.migrate(requestID: "m-c", tenant: "hooli", target: "ap-south", dryRun: false))
        try await client.waitFor("the third result") { results($0).count == 3 }
        let started = try await client.waitFor("the start") { $0.contains { $0.type == "migration.started" && $0.correlationID == "m-c" } }
        var id = "?"
        if case .migrationStarted(let m) = started.last(where: { $0.correlationID == "m-c" && $0.type == "migration.started" })?.event {
            id = m.migration.migrationID
        }
        client.send(.cancelMigration(requestID: "c-1", migrationID: id))
        let done = try await client.waitFor("the cancel") { $0.contains { $0.type == "migration.cancelled" } }
        #expect(results(done).last?.status == .accepted)
    }
}
