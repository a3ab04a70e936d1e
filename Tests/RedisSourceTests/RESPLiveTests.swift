import Foundation
import RedisSource
import Testing

/// The server of `scripts/redis-up` (started by `.ci/run`, which sets
/// CLUSTERDASH_REDIS_PORT); without it the suite is skipped, and says so.
enum LiveRedis {
    static var port: Int? { ProcessInfo.processInfo.environment["CLUSTERDASH_REDIS_PORT"].flatMap(Int.init) }
}

@Suite(.enabled(if: LiveRedis.port != nil, "needs scripts/redis-up")) struct RESPLiveTests {
    func connect() async throws -> RESPConnection {
        try await RESPConnection.connect(host: "127.0.0.1", port: try #require(LiveRedis.port))
    }

    @Test func answersOfEveryKindFromARealServer() async throws {
        let c = try await connect()
        #expect(try await c.send(["PING"]) == .simple("PONG"))
        let binary: [UInt8] = [0, 13, 10, 255, 36, 42]
        let key = "{tenant-\(getpid())}:k"
        #expect(try await c.send(["SET", key, String(decoding: binary, as: UTF8.self)]) == .simple("OK"))
        #expect(try await c.send(["GET", key]).text == String(decoding: binary, as: UTF8.self))
        #expect(try await c.send(["GET", key + ":missing"]) == .bulk(nil))
        #expect(try await c.send(["INCRBY", key + ":n", "41"]) == .integer(41))
        let info = try #require(try await c.send(["INFO", "replication"]).text)
        #expect(info.contains("role:master"))
        if case .error(let e) = try await c.send(["NOSUCHCOMMAND"]) {
            #expect(e.hasPrefix("ERR unknown command"))
        } else {
            Issue.record("an unknown command is an error answer")
        }
        if case .error(let e) = try await c.send(["CLUSTER", "INFO"]) {
            #expect(e.contains("cluster support disabled"), "\(e)")
        } else {
            Issue.record("CLUSTER INFO on a server without cluster mode is an error answer")
        }
        // RESP3 after HELLO 3: a map, doubles, sets.
        let hello = try await c.send(["HELLO", "3"])
        guard case .map = hello else {
            Issue.record("HELLO 3 answers a map: \(hello)")
            return
        }
        #expect(hello.fields?.first { $0.0 == "proto" }?.1 == .integer(3))
        #expect(try await c.send(["ZADD", key + ":z", "1.5", "a"]) == .integer(1))
        #expect(try await c.send(["ZSCORE", key + ":z", "a"]) == .double(1.5))
        #expect(try await c.send(["SADD", key + ":s", "x"]) == .integer(1))
        #expect(try await c.send(["SMEMBERS", key + ":s"]) == .set([.bulk(Array("x".utf8))]))
        _ = try await c.send(["DEL", key, key + ":n", key + ":z", key + ":s"])
        await c.close()
    }

    @Test func commandsFromManyTasksGetTheirOwnAnswers() async throws {
        let c = try await connect()
        let answers = try await withThrowingTaskGroup(of: (Int, String?).self) { group in
            // Each answer to its own asker is the point; the time limit is 10 s,
            // not the default 2 s, for a machine busy with the other suites.
            for i in 0..<200 { group.addTask { (i, try await c.send(["ECHO", "message \(i)"], timeout: .seconds(10)).text) } }
            var out: [Int: String?] = [:]
            for try await (i, text) in group { out[i] = text }
            return out
        }
        #expect(answers.count == 200)
        #expect(answers.allSatisfy { $0.value == "message \($0.key)" })
        await c.close()
    }

    @Test func aTimeoutClosesTheConnectionAndSaysSo() async throws {
        let c = try await connect()
        do {
            _ = try await c.send(["BLPOP", "cd-never-\(getpid())", "5"], timeout: .milliseconds(200))
            Issue.record("BLPOP answered before its time")
        } catch let error as RESPConnectionError {
            #expect(error.description == "no answer to BLPOP in time")
        }
        do {
            _ = try await c.send(["PING"])
            Issue.record("a closed connection answered")
        } catch let error as RESPConnectionError {
            #expect(error.description == "closed by the server")
        }
        await c.close()
    }

    @Test func aRefusedPortIsAnErrorNotAHang() async throws {
        await #expect(throws: (any Error).self) { _ = try await RESPConnection.connect(host: "127.0.0.1", port: 1) }
    }
}
