import ClusterProtocol
import EventSources
import JetStreamProtocol
import JetStreamRules
import NATSClient

extension JetStreamSource {
    /// One observation: every server's JSZ (streams and their config) and
    /// health, gathered from one `PING` each at once; without
    /// system-account rights, the account's streams from `STREAM.INFO`.
    /// Then the diff goes on the queue. When no server answers nothing is
    /// sent: the last good data stays on screen, with its age, and the
    /// endpoint's status says why.
    func pollOnce() async {
        guard let c = await connection() else { return }
        let expect = shared.withLock { $0.serversKnown }
        async let jsz = gather(c, "$SYS.REQ.SERVER.PING.JSZ", body: #"{"streams":true,"config":true}"#, expect: expect)
        async let healthz = gather(c, "$SYS.REQ.SERVER.PING.HEALTHZ", body: "{}", expect: expect)
        let (reportReplies, healthReplies) = await (jsz, healthz)
        var observation: JetStreamObservation
        if reportReplies.noResponders {
            guard let view = await accountView(c) else { return }
            observation = view
        } else {
            var reports: [String: JetStreamServerReport] = [:]
            var garbage: [String] = []
            for m in reportReplies.replies {
                do throws(JetStreamParseError) {
                    let r = try JetStreamParse.serverReport(m.payload)
                    reports[r.name] = r
                } catch {
                    garbage.append(error.description)
                }
            }
            // Said once per new kind of garbage, not every poll.
            let said = shared.withLock { s in
                defer { s.lastGarbage = garbage.first }
                return s.lastGarbage == garbage.first
            }
            if let first = garbage.first, !said { logger.warning("nats: \(garbage.count) JSZ replies not read: \(first)") }
            var health: [String: JetStreamHealth] = [:]
            for m in healthReplies.replies {
                if let h = try? JetStreamParse.health(m.payload), h.problem != nil { health[h.server] = h }
            }
            guard !reports.isEmpty else {
                let i = shared.withLock { $0.connectedTo }
                markFailed(i, reportReplies.replies.isEmpty ? "no server answered PING.JSZ" : "no JSZ reply could be read")
                return
            }
            observation = JetStreamObservation(reports: reports, health: health)
        }
        let now = clock()
        shared.withLock { s in
            markLiveLocked(&s, at: now)
            if s.clusterName == nil {
                s.clusterName = observation.reports.values.compactMap(\.cluster).min().map { "nats-\($0)" }
            }
            let name = s.clusterName ?? "nats"
            if s.differ == nil || s.differ?.source != name { s.differ = PollDiffer(source: name, idPrefix: "\(name)-\(now.millis)-") }
            if let hint = s.causeHint, hint.until < now { s.causeHint = nil }
            observation.causeHint = s.causeHint?.text
            s.systemView = observation.systemView
            s.mapper.streamCommands = !config.readOnly && (!observation.systemView || config.streamCredentials != nil)
            var polled = s.mapper.cluster(observation, name: name, feed: "polling + advisories", at: now)
            let moved = followMoves(&s, at: now)
            polled.migrations = s.moves.values.map(\.info).sorted { $0.migrationID < $1.migrationID }
            s.serversKnown = polled.nodes.count
            guard var differ = s.differ else { return }
            let before = differ.lastPoll?.primaries.first
            var out = differ.diff(polled, at: now)
            for (event, correlation) in moved { out.append(differ.stamp(event, at: now, correlationID: correlation)) }
            if let leader = polled.primaries.first, before != nil, leader != before { s.causeHint = nil }
            s.differ = differ
            push(out, endpoint: s.connectedTo)
        }
    }

    /// The server given that answered is live (one the cluster named is
    /// no endpoint of ours: the given ones keep their failures).
    private func markLiveLocked(_ s: inout Shared, at now: Timestamp) {
        if !s.onLearned { s.endpoints.live(s.connectedTo, at: now) }
    }

    /// Every reply to one `PING` (one per server), until `expect` came or
    /// the window closed; `noResponders` when the account cannot ask (not
    /// the system account).
    func gather(_ c: NATSConnection, _ subject: String, body: String, expect: Int) async -> (replies: [NATSMessage], noResponders: Bool) {
        let n = calls.add(1, ordering: .relaxed).newValue
        let reply = "\(c.inbox).ping.\(n)"
        let sub = c.subscribe(reply)
        c.publish(subject, replyTo: reply, payload: Array(body.utf8))
        let window = config.gatherWindow
        let timer = Task {
            guard (try? await Task.sleep(for: window)) != nil else { return }
            c.unsubscribe(sub.sid)
        }
        var out: [NATSMessage] = []
        var noResponders = false
        for await m in sub.messages {
            if m.status == 503 {
                noResponders = true
                break
            }
            out.append(m)
            if expect > 0, out.count >= expect { break }
        }
        timer.cancel()
        c.unsubscribe(sub.sid)
        return (out, noResponders)
    }

    /// Without system-account rights: the account's streams, each from
    /// `STREAM.INFO` (answered by the stream's leader; none answers a
    /// stream without one).
    func accountView(_ c: NATSConnection) async -> JetStreamObservation? {
        let i = shared.withLock { $0.connectedTo }
        let names: [String]
        do {
            calls.add(1, ordering: .relaxed)
            let answer = try await c.request("$JS.API.STREAM.NAMES", payload: [], timeout: config.requestTimeout)
            names = try JetStreamParse.streamNames(answer.payload).names
        } catch {
            markFailed(i, "not the system account, and STREAM.NAMES failed: \(error)")
            return nil
        }
        let timeout = config.requestTimeout
        calls.add(names.count, ordering: .relaxed)
        let infos = await withTaskGroup(of: (String, JetStreamStream?).self) { group in
            for name in names {
                group.addTask {
                    guard let a = try? await c.request("$JS.API.STREAM.INFO.\(name)", payload: [], timeout: timeout) else { return (name, nil) }
                    return (name, try? JetStreamParse.streamInfo(a.payload, account: ""))
                }
            }
            var out: [(String, JetStreamStream?)] = []
            for await r in group { out.append(r) }
            return out
        }
        let streams = infos.compactMap(\.1)
        let unanswered = infos.filter { $0.1 == nil }.map(\.0).sorted()
        return JetStreamObservation(systemView: false, accountStreams: streams, unansweredStreams: unanswered)
    }
}
