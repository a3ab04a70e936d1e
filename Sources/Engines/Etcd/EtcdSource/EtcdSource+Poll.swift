import ClusterProtocol
import EngineHTTP
import EtcdProtocol
import EtcdRules
import EventSources
import NIOCore

extension EtcdSource {
    /// One observation: the member list and the alarms from the first
    /// endpoint that answers, every started member's own status at once,
    /// now and then the leader's `/metrics`; then the diff goes on the
    /// queue. When no endpoint answers nothing is sent: the last good data
    /// stays on screen, with its age, and the statuses say why.
    func pollOnce() async {
        let timeout = config.requestTimeout
        let known = shared.withLock { $0.members.flatMap(\.clientURLs) }
        let bases = config.urls + known.filter { !config.urls.contains($0) }
        var found: (members: [EtcdMember], base: String, endpoint: Int)?
        for (i, base) in bases.enumerated() {
            do {
                let answer = try await gateway.call(base, "/v3/cluster/member/list", timeout: timeout)
                guard answer.status == 200 else {
                    throw HTTPFailure.status(answer.status, EtcdParse.error(answer.body) ?? String(answer.text.prefix(60)))
                }
                let members: [EtcdMember]
                do throws(EtcdParseError) {
                    members = try EtcdParse.members(answer.body)
                } catch {
                    throw HTTPFailure.garbage(error.description)
                }
                if i < config.urls.count { markLive(i) }
                found = (members, base, i < config.urls.count ? i : 0)
                break
            } catch {
                if i < config.urls.count {
                    let garbage = if case HTTPFailure.garbage = error { true } else { false }
                    markFailed(i, HTTPFailure.words(error), garbage: garbage)
                }
            }
        }
        guard let found else { return }
        let members = found.members

        // Every started member's own status, at once.
        let answers = await withTaskGroup(of: (UInt64, Result<EtcdStatus, HTTPFailure>).self) { group in
            for m in members where m.isStarted {
                guard let base = m.clientURLs.first else { continue }
                group.addTask { [gateway] in
                    do {
                        let a = try await gateway.call(base, "/v3/maintenance/status", timeout: timeout)
                        guard a.status == 200 else {
                            return (m.id, .failure(.status(a.status, EtcdParse.error(a.body) ?? String(a.text.prefix(60)))))
                        }
                        do throws(EtcdParseError) {
                            return (m.id, .success(try EtcdParse.status(a.body)))
                        } catch {
                            return (m.id, .failure(.garbage(error.description)))
                        }
                    } catch {
                        return (m.id, .failure(.transport(HTTPFailure.words(error))))
                    }
                }
            }
            var out: [(UInt64, Result<EtcdStatus, HTTPFailure>)] = []
            for await r in group { out.append(r) }
            return out
        }
        var statuses: [UInt64: EtcdStatus] = [:]
        var unreachable: [UInt64: String] = [:]
        for (id, r) in answers {
            switch r {
            case .success(let s) where s.memberID == id: statuses[id] = s
            case .success(let s): unreachable[id] = "its URL answers as member \(String(s.memberID, radix: 16))"
            case .failure(let f): unreachable[id] = f.description
            }
        }
        let alarms: [EtcdAlarm] =
            if let a = try? await gateway.call(found.base, "/v3/maintenance/alarm", timeout: timeout), a.status == 200 {
                (try? EtcdParse.alarms(a.body)) ?? []
            } else { [] }
        let poll = shared.withLock { s -> Int in
            defer { s.polls += 1 }
            return s.polls
        }
        var leaderSeesPeer: [UInt64: Bool]?
        let observation0 = EtcdObservation(members: members, statuses: statuses, unreachable: unreachable, alarms: alarms)
        if poll % max(1, config.metricsEvery) == 0 || !unreachable.isEmpty, let leader = observation0.leader,
            let base = members.first(where: { $0.id == leader })?.clientURLs.first,
            let a = try? await gateway.get(base, "/metrics", timeout: timeout), a.status == 200
        {
            leaderSeesPeer = EtcdParse.activePeers(a.body)
        }
        let now = clock()
        shared.withLock { s in
            s.members = members
            if s.clusterName == nil, let id = statuses.values.compactMap(\.clusterID).first { s.clusterName = "etcd-\(String(id, radix: 16))" }
            let name = s.clusterName ?? "etcd"
            if s.differ == nil || s.differ?.source != name { s.differ = PollDiffer(source: name, idPrefix: "\(name)-\(now.millis)-") }
            if let hint = s.causeHint, hint.until < now { s.causeHint = nil }
            var observation = observation0
            observation.leaderSeesPeer = leaderSeesPeer
            observation.causeHint = s.causeHint?.text
            let polled = s.mapper.cluster(observation, name: name, at: now)
            guard var differ = s.differ else { return }
            let before = differ.lastPoll?.primaries.first
            let out = differ.diff(polled, at: now)
            if let leader = polled.primaries.first, before != nil, leader != before { s.causeHint = nil }
            s.differ = differ
            push(out, endpoint: found.endpoint)
        }
    }
}
