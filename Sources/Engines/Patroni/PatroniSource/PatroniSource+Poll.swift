import ClusterProtocol
import EngineHTTP
import EventSources
import NIOCore

extension PatroniSource {
    /// Polls `/config` and `/history` on the first poll, every this many
    /// polls, and whenever the timeline moves.
    static let slowEvery = 10

    /// One observation: `/cluster` from the first endpoint that answers, each
    /// member's `/patroni`, and now and then `/config` and `/history`; then
    /// the diff goes on the queue. When no endpoint answers nothing is sent:
    /// the last good data stays on screen, with its age, and the statuses say why.
    func pollOnce() async {
        let timeout = config.requestTimeout
        let intervalMillis = Int64(config.pollInterval.nanoseconds / 1_000_000)
        let discovered = shared.withLock { $0.discovered }
        let bases = config.urls + discovered.filter { !config.urls.contains($0) }
        var found: (view: PatroniClusterView, base: String, endpoint: Int)?
        for (i, base) in bases.enumerated() {
            let endpoint = i < config.urls.count ? i : 0
            do {
                let answer = try await rest.get(base + "/cluster", timeout: timeout)
                guard answer.status == 200 else {
                    throw HTTPFailure.status(answer.status, String(answer.text.prefix(60)).filter { !$0.isNewline })
                }
                let view: PatroniClusterView
                do throws(PatroniParseError) {
                    view = try PatroniParse.cluster(answer.body)
                } catch {
                    throw HTTPFailure.garbage(error.description)
                }
                if i < config.urls.count { markLive(i) }
                found = (view, base, endpoint)
                break
            } catch {
                if i < config.urls.count {
                    let garbage = if case HTTPFailure.garbage = error { true } else { false }
                    markFailed(i, HTTPFailure.words(error), garbage: garbage, retryInMillis: intervalMillis)
                }
            }
        }
        guard let found else { return }
        let view = found.view
        shared.withLock { $0.discovered = view.members.compactMap(\.restBase) }

        // Each member's own API: answers or not (a dead member's key
        // outlives it by up to ttl), and the scope and version.
        let probes = await withTaskGroup(of: (String, (String?, String?)?).self) { group in
            for m in view.members {
                guard let base = m.restBase else { continue }
                group.addTask { [rest] in
                    guard let a = try? await rest.get(base + "/patroni", timeout: .milliseconds(900)), a.status == 200 || a.status == 503
                    else { return (m.name, nil) }
                    return (m.name, (try? PatroniParse.memberStatus(a.body)) ?? (nil, nil))
                }
            }
            var out: [(String, (String?, String?)?)] = []
            for await r in group { out.append(r) }
            return out
        }
        let unreachable = Set(probes.filter { $0.1 == nil }.map(\.0))
        let identity = probes.compactMap(\.1).first { $0.1 != nil }

        let term = view.members.compactMap(\.timeline).max() ?? 0
        let slow = shared.withLock { s -> Bool in
            defer { s.polls += 1 }
            return s.polls % Self.slowEvery == 0 || term != s.lastTerm
        }
        var dynamic: PatroniParse.Config?
        var history: FailoverHistory?
        if slow {
            if let a = try? await rest.get(found.base + "/config", timeout: timeout), a.status == 200 {
                dynamic = try? PatroniParse.config(a.body)
            }
            if let a = try? await rest.get(found.base + "/history", timeout: timeout), a.status == 200 {
                history = try? PatroniParse.history(a.body)
            }
        }
        let now = clock()
        shared.withLock { s in
            if let identity {
                if s.scope == nil, let scope = identity.1 { s.scope = scope }
                if let v = identity.0 { s.version = v }
            }
            if let dynamic { s.config = dynamic }
            if let history { s.history = history }
            if slow { s.lastTerm = term }
            let scope = s.scope ?? "patroni"
            if s.mapper == nil || s.mapper?.scope != scope { s.mapper = PatroniMapper(scope: scope) }
            if s.differ == nil || s.differ?.source != "patroni/\(scope)" {
                s.differ = PollDiffer(source: "patroni/\(scope)", idPrefix: "patroni-\(scope)-\(now.millis)-")
            }
            if let hint = s.causeHint, hint.until < now { s.causeHint = nil }
            let observation = PatroniObservation(
                view: view, unreachable: unreachable, config: s.config, history: s.history, version: s.version,
                feed: s.watchLive ? "etcd watch" : "polling", causeHint: s.causeHint?.text)
            guard var mapper = s.mapper, var differ = s.differ else { return }
            let polled = mapper.cluster(observation)
            let before = differ.lastPoll?.primaries.first
            let out = differ.diff(polled, at: now)
            // A hint is used up by the change of leader it explained.
            // (not by the leaderless moment in between: the new leader is what it explains).
            if let leader = polled.primaries.first, before != nil, leader != before { s.causeHint = nil }
            s.mapper = mapper
            s.differ = differ
            push(out, endpoint: found.endpoint)
        }
    }
}
