import ClusterProtocol
import ClusterSim
import ClusterState
import ClusterdashTesting
import Foundation
import Logging
import ProtocolV1Server
import Testing

@Suite(.serialized) struct AuthTests {
    @Test func upgradeWithoutAValidTokenIs401() async throws {
        let server = try await startServer(options: {
            $0.readToken = "r-token"
            $0.operateToken = "o-token"
        })
        defer { Task { await server.stop() } }
        #expect(try rawHTTPStatus(port: server.port, path: "/v1/stream") == 401)
        #expect(try rawHTTPStatus(port: server.port, path: "/v1/stream", headers: ["Authorization": "Bearer wrong"]) == 401)
        #expect(try rawHTTPStatus(port: server.port, path: "/v1/stream", headers: ["Authorization": "Bearer r-token"]) == 101)
        #expect(try rawHTTPStatus(port: server.port, path: "/v1/stream", headers: ["Authorization": "Bearer o-token"]) == 101)
        let refused = TestStreamClient(url: server.url)
        if case .success = await refused.result() { Issue.record("upgrade without a token succeeded") }
    }

    @Test func readTokenCannotCommand() async throws {
        let server = try await startServer(options: {
            $0.readToken = "r-token"
            $0.operateToken = "o-token"
        })
        defer { Task { await server.stop() } }
        await settle(server)
        let reader = TestStreamClient(url: server.url, token: "r-token")
        defer { reader.close() }
        reader.send(.subscribe(resume: nil))
        reader.send(.promote(requestID: "r-1", node: "node-2"))
        let es = try await reader.waitFor("the result") { !results($0).isEmpty }
        #expect(results(es).first == CommandResult(requestID: "r-1", op: "promote", status: .rejected, reason: "read_only_token"))
        #expect(await server.core.primary == "node-1")
        let operatorClient = TestStreamClient(url: server.url, token: "o-token")
        defer { operatorClient.close() }
        operatorClient.send(.subscribe(resume: nil))
        operatorClient.send(.promote(requestID: "o-1", node: "node-2"))
        let ok = try await operatorClient.waitFor("the result") { !results($0).isEmpty }
        #expect(results(ok).first?.status == .accepted)
        #expect(await server.core.stats.commandsReceived == 2)
    }
}
