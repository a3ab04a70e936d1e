import ClusterdashTesting
import EventSources
import Foundation
import Testing

@testable import RedisSource

/// Credentials against a real server that requires them: a redis-server of
/// its own (a password, then an ACL user), started here and stopped by PID.
/// The right ones open the connection; wrong ones are the server's refusal,
/// and no message or description ever holds the password.
@Suite(.serialized, .enabled(if: LiveRedisCluster.env["CLUSTERDASH_REDIS_PORT"] != nil, "needs redis-server")) struct RedisAuthLiveTests {
    /// Starts `redis-server --requirepass password` on a free loopback port,
    /// ready once that port answers PING with NOAUTH (this server: another
    /// on the port would not want the password).
    func server(password: String) async throws -> (pid: pid_t, address: String, dir: String) {
        let dir = NSTemporaryDirectory() + "clusterdash-auth-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for _ in 0..<20 {
            guard
                let port = LoopbackPort.free(),
                let pid = ChildProcess.spawn([
                    "/usr/bin/redis-server", "--bind", "127.0.0.1", "--port", String(port), "--requirepass", password, "--save", "",
                    "--appendonly", "no", "--dir", dir, "--logfile", dir + "/redis.log",
                ])
            else { continue }
            for _ in 0..<100 where LoopbackPort.running(pid) {
                if let c = try? await RESPConnection.connect(host: "127.0.0.1", port: port) {
                    let answer = try? await c.send(["PING"], timeout: .seconds(1))
                    await c.close()
                    if case .error(let text) = answer, text.hasPrefix("NOAUTH") { return (pid, "127.0.0.1:\(port)", dir) }
                }
                try await Task.sleep(for: .milliseconds(20))
            }
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
        throw RESPConnectionError.closed
    }

    func stop(_ pid: pid_t, _ dir: String) {
        kill(pid, SIGTERM)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        try? FileManager.default.removeItem(atPath: dir)
    }

    @Test func thePasswordOpensAndAWrongOneIsRefusedWithoutBeingShown() async throws {
        let password = "s3cret-\(UInt32.random(in: 0...UInt32.max))"
        let (pid, address, dir) = try await server(password: password)
        defer { stop(pid, dir) }
        let good = RESPPool(auth: RedisAuth(credentials: password), timeout: .seconds(2))
        #expect(try await good.send(["PING"], at: address) == .simple("PONG"))
        // An ACL user too (user:password in the variable).
        _ = try await good.send(["ACL", "SETUSER", "dash", "on", ">\(password)-u", "~*", "+@all"], at: address)
        let user = RESPPool(auth: RedisAuth(credentials: "dash:\(password)-u"), timeout: .seconds(2))
        #expect(try await user.send(["ACL", "WHOAMI"], at: address).text == "dash")
        await good.closeAll()
        await user.closeAll()

        let wrong = "not-\(password)"
        let bad = RESPPool(auth: RedisAuth(credentials: wrong), timeout: .seconds(2))
        do {
            _ = try await bad.send(["PING"], at: address)
            Issue.record("a wrong password was let in")
        } catch let e as RedisReplyError {
            #expect(e.text.hasPrefix("WRONGPASS"), "\(e.text)")
            #expect(!e.description.contains(wrong) && !e.description.contains(password))
        }
        let none = RESPPool(auth: nil, timeout: .seconds(2))
        do {
            _ = try await none.send(["PING"], at: address)
            Issue.record("no password was let in")
        } catch let e as RedisReplyError {
            #expect(e.text.hasPrefix("NOAUTH"), "\(e.text)")
        }
        #expect("\(RedisAuth(user: "dash", password: password))" == "RedisAuth(redacted)")
        #expect(RedisAuth(credentials: "dash:") == nil, "a user with no password is no credential")
    }

    @Test func aClusterSourceWithTheWrongPasswordSaysSoPerEndpoint() async throws {
        let password = "s3cret-\(UInt32.random(in: 0...UInt32.max))"
        let (pid, address, dir) = try await server(password: password)
        defer { stop(pid, dir) }
        var config = RedisClusterConfig(seeds: [address], auth: RedisAuth(credentials: "wrong-\(password)"))
        config.pollInterval = .milliseconds(200)
        let source = RedisClusterSource(config: config, clock: wallClockNow, logger: quietLogger())
        source.start()
        defer { Task { await source.stop() } }
        var reason: String?
        for _ in 0..<50 {
            if case .backingOff(_, _, let r) = source.statuses.first {
                reason = r
                break
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        let said = try #require(reason)
        #expect(said.contains("WRONGPASS"), "\(said)")
        #expect(!said.contains(password))
    }
}
