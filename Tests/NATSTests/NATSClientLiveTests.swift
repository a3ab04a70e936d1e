import ClusterdashTesting
import Foundation
import NATSClient
import Testing

/// The cluster of `scripts/nats-up` (started by `.ci/run`, which sets
/// CLUSTERDASH_NATS and CLUSTERDASH_NATS_WS); without it the suite is skipped.
enum LiveNATS {
    static var servers: [NATSAddress] {
        (ProcessInfo.processInfo.environment["CLUSTERDASH_NATS"] ?? "").split(separator: ",").compactMap { hostPort in
            try? NATSAddress(url: "nats://\(hostPort)")
        }
    }
    static var webSocket: NATSAddress? {
        ProcessInfo.processInfo.environment["CLUSTERDASH_NATS_WS"].flatMap { try? NATSAddress(url: "nats+ws://\($0)") }
    }
    static var dir: String { ProcessInfo.processInfo.environment["CLUSTERDASH_NATS_DIR"] ?? "/tmp/clusterdash-nats" }
    static var available: Bool { !servers.isEmpty }
}

@Suite(.enabled(if: LiveNATS.available, "needs scripts/nats-up")) struct NATSClientLiveTests {
    func connect(_ address: NATSAddress? = nil) async throws -> NATSConnection {
        try await NATSConnection.connect(try #require(address ?? LiveNATS.servers.first), logger: quietLogger())
    }

    @Test func publishSubscribeAndHeadersOnARealServer() async throws {
        let a = try await connect()
        let b = try await connect(LiveNATS.servers.last)
        defer {
            a.close()
            b.close()
        }
        let subject = "test.\(getpid()).\(UInt32.random(in: 0...UInt32.max))"
        let sub = a.subscribe(subject + ".>")
        try await a.flush()
        // The other server of the cluster: routed.
        try await Task.sleep(for: .milliseconds(200))
        b.publish(subject + ".one", payload: Array("plain".utf8))
        b.publish(subject + ".two", replyTo: "r.x", headers: [NATSHeader("K", "v: with colon")], payload: Array(repeating: 7, count: 70_000))
        try await b.flush()
        var it = sub.messages.makeAsyncIterator()
        let first = try #require(await it.next())
        let second = try #require(await it.next())
        #expect(first.subject == subject + ".one")
        #expect(first.payload == Array("plain".utf8))
        #expect(second.header("k") == "v: with colon")
        #expect(second.replyTo == "r.x")
        #expect(second.payload.count == 70_000)
    }

    @Test func noRespondersIsImmediate() async throws {
        let c = try await connect()
        defer { c.close() }
        let started = ContinuousClock.now
        await #expect(throws: NATSError.noResponders("nobody.\(getpid())")) {
            _ = try await c.request("nobody.\(getpid())", payload: [], timeout: .seconds(5))
        }
        #expect(ContinuousClock.now - started < .seconds(2))
    }

    /// A request nobody answers (as JetStream's API while a stream elects
    /// a leader) fails alone, in its time; the connection goes on.
    @Test func anUnansweredRequestTimesOutAndTheConnectionStays() async throws {
        let silent = try await connect()
        let asker = try await connect()
        defer {
            silent.close()
            asker.close()
        }
        let subject = "silent.\(getpid())"
        let sub = silent.subscribe(subject)
        try await silent.flush()
        let started = ContinuousClock.now
        await #expect(throws: NATSError.timedOut(subject)) {
            _ = try await asker.request(subject, payload: [], timeout: .milliseconds(500))
        }
        let waited = ContinuousClock.now - started
        #expect(waited >= .milliseconds(500) && waited < .seconds(3), "\(waited)")
        #expect(asker.closedReason == nil)
        // A late answer to it finds nobody; the next request is answered.
        let answering = Task {
            for await m in sub.messages {
                if let reply = m.replyTo { silent.publish(reply, payload: Array("late".utf8)) }
            }
        }
        defer { answering.cancel() }
        let answer = try await asker.request(subject, payload: [], timeout: .seconds(5))
        #expect(answer.payload == Array("late".utf8))
        #expect(asker.closedReason == nil)
    }

    @Test func requestReplyBetweenTwoConnections() async throws {
        let responder = try await connect()
        let asker = try await connect()
        defer {
            responder.close()
            asker.close()
        }
        let subject = "svc.\(getpid())"
        let sub = responder.subscribe(subject)
        try await responder.flush()
        let serve = Task {
            for await m in sub.messages {
                if let r = m.replyTo { responder.publish(r, payload: Array("re: ".utf8) + m.payload) }
            }
        }
        defer { serve.cancel() }
        let answer = try await asker.request(subject, payload: Array("ping".utf8))
        #expect(String(decoding: answer.payload, as: UTF8.self) == "re: ping")
    }

    @Test func theWebSocketListenerSpeaksTheSameProtocol() async throws {
        let ws = try #require(LiveNATS.webSocket)
        let c = try await connect(ws)
        let tcp = try await connect()
        defer {
            c.close()
            tcp.close()
        }
        let subject = "ws.\(getpid())"
        let sub = c.subscribe(subject)
        try await c.flush()
        for i in 0..<50 { tcp.publish(subject, payload: Array("m\(i)".utf8) + Array(repeating: 1, count: i * 997)) }
        try await tcp.flush()
        var got = 0
        for await m in sub.messages {
            #expect(m.payload.count == 2 + (got >= 10 ? 1 : 0) + got * 997)
            got += 1
            if got == 50 { break }
        }
        #expect(got == 50)
        // JetStream through the WebSocket too.
        let names = try await JetStream(c).streamNames()
        _ = names
    }

    @Test func aRefusedConnectionAndAServerThatIsNotThere() async throws {
        // Nothing listens on port 1.
        await #expect(throws: NATSError.self) {
            _ = try await NATSConnection.connect(NATSAddress(host: "127.0.0.1", port: 1), logger: quietLogger())
        }
        #expect(throws: NATSError.self) { _ = try NATSAddress(url: "nats://user:secret@127.0.0.1:4222") }
        #expect(throws: NATSError.self) { _ = try NATSAddress(url: "http://127.0.0.1:4222") }
        #expect(try NATSAddress(url: "nats://127.0.0.1:4222/prod-eu").cluster == "prod-eu")
    }

    @Test func jetStreamPublishWithDeduplicationAndTheLastMessageBySubject() async throws {
        let c = try await connect()
        defer { c.close() }
        let js = JetStream(c)
        let name = "TEST_\(getpid())_\(UInt16.random(in: 0...UInt16.max))"
        _ = try await js.ensureStream([
            "name": name, "subjects": ["\(name).>"], "storage": "memory", "num_replicas": 3, "max_age": JetStream.nanos(.seconds(60)),
        ])
        defer { Task { _ = try? await js.call("STREAM.DELETE.\(name)") } }
        let a = try await js.publish("\(name).x", headers: [NATSHeader("Nats-Msg-Id", "one")], payload: Array("1".utf8))
        let again = try await js.publish("\(name).x", headers: [NATSHeader("Nats-Msg-Id", "one")], payload: Array("1".utf8))
        let b = try await js.publish("\(name).y", payload: Array("2".utf8))
        #expect(a.seq == 1)
        #expect(again.duplicate)
        #expect(again.seq == 1)
        #expect(b.seq == 2)
        let last = try #require(try await js.lastMessage(stream: name, subject: "\(name).x"))
        #expect(last.seq == 1)
        #expect(last.data == Array("1".utf8))
        #expect(last.headers.first?.value == "one")
        #expect(try await js.lastMessage(stream: name, subject: "\(name).none") == nil)
        // The next message on a subject from a sequence on (how a reader
        // finds the snapshot that opens an epoch).
        let c3 = try await js.publish("\(name).x", payload: Array("3".utf8))
        #expect(try await js.nextMessage(stream: name, subject: "\(name).x", from: 1)?.seq == 1)
        #expect(try await js.nextMessage(stream: name, subject: "\(name).x", from: 2)?.seq == c3.seq)
        #expect(try await js.nextMessage(stream: name, subject: "\(name).x", from: c3.seq + 1) == nil)
        let info = try await js.streamInfo(name)
        #expect(info.lastSeq == 3)
        #expect(info.leader != nil)
        #expect(info.replicas.count == 2)
        await #expect(throws: JetStream.APIError.self) { _ = try await js.streamInfo(name + "_MISSING") }
    }
}

extension NATSClientLiveTests {
    /// A NATS server of its own with credentials (nats-server starts in
    /// milliseconds), on a port it picks itself (`-p -1`) and writes to its
    /// ports file once it listens: no race for a port, and never a port
    /// another server holds (a random pick once landed on a Redis cluster
    /// bus, which accepts and never answers: 300 s of INFO timeouts in CI).
    static func serverWithAuth(_ args: [String]) async throws -> (pid: pid_t, address: NATSAddress) {
        let server = ProcessInfo.processInfo.environment["CLUSTERDASH_NATS_SERVER"] ?? "/usr/sbin/nats-server"
        let dir = NSTemporaryDirectory() + "clusterdash-nats-auth-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let pid = try #require(ChildProcess.spawn([server, "-a", "127.0.0.1", "-p", "-1", "--ports_file_dir", dir] + args))
        // {"nats":["nats://127.0.0.1:PORT"],...} in <dir>/nats-server_<pid>.ports
        for _ in 0..<250 where LoopbackPort.running(pid) {
            let file = (try? FileManager.default.contentsOfDirectory(atPath: dir))?.first { $0.hasSuffix("_\(pid).ports") }
            if let file, let data = FileManager.default.contents(atPath: dir + "/" + file),
                let ports = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                let url = (ports["nats"] as? [String])?.first
            {
                return (pid, try NATSAddress(url: url))
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        stop(pid)
        throw NATSError.closed("\(server) wrote no ports file in 5 s")
    }

    static func stop(_ pid: pid_t) {
        kill(pid, SIGTERM)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }

    @Test func credentialsAreSentAndARefusalSaysSoWithoutThem() async throws {
        let secret = "tok-\(UInt64.random(in: 0...UInt64.max))"
        let (pid, address) = try await Self.serverWithAuth(["--auth", secret])
        defer { Self.stop(pid) }
        let good = try await NATSConnection.connect(address, credentials: NATSCredentials(token: secret), logger: quietLogger())
        try await good.flush()
        good.close()
        do {
            _ = try await NATSConnection.connect(address, credentials: NATSCredentials(token: "wrong"), logger: quietLogger())
            Issue.record("a wrong token was accepted")
        } catch let e as NATSError {
            #expect(e.description.contains("Authorization Violation"), "\(e)")
            #expect(!e.description.contains(secret))
        }
        #expect(!"\(NATSCredentials(token: secret))".contains(secret))

        let (pid2, address2) = try await Self.serverWithAuth(["--user", "dash", "--pass", secret])
        defer { Self.stop(pid2) }
        let user = try await NATSConnection.connect(address2, credentials: NATSCredentials(user: "dash", password: secret), logger: quietLogger())
        try await user.flush()
        user.close()
        await #expect(throws: NATSError.self) {
            _ = try await NATSConnection.connect(address2, credentials: NATSCredentials(user: "dash", password: "no"), logger: quietLogger())
        }
    }
}
