import ClusterProtocol
import EngineHTTP
import EtcdProtocol
import EtcdRules
import EventSources
import NIOCore

extension EtcdSource {
    /// Takes `promote`: a follower gets the leadership, a learner becomes a
    /// voting member. The rest is refused at once with a `command.result`
    /// that says why. A read-only source sends nothing.
    public func send(_ op: ClientOp) -> Bool {
        guard let requestID = op.requestID else { return false }
        if let why = commandRefusal(op, engine: "etcd", readOnly: config.readOnly, accepts: ["promote"]) {
            result(requestID, op.op, .rejected, why)
            return true
        }
        guard case .promote(_, let node, let mode) = op else { return false }
        if let mode {
            result(requestID, op.op, .rejected, "etcd has no promotion mode \(mode.prefix(20)): nothing was sent")
            return true
        }
        Task { await self.promote(requestID: requestID, candidate: node) }
        return true
    }

    /// What the promotion of `candidate` becomes, from the last member list
    /// and poll: a leadership move sent to the leader, a learner's
    /// promotion sent to any member, or a refusal.
    public enum PromotionCall: Sendable, Equatable {
        case transferLeadership(leaderURL: String, target: UInt64)
        case promoteLearner(target: UInt64)
        case refused(String)
    }

    public static func call(promoting candidate: String, members: [EtcdMember], poll: PolledCluster?) -> PromotionCall {
        guard let m = members.first(where: { $0.nodeID == candidate }) else { return .refused("\(candidate) is not a member") }
        if m.isLearner { return .promoteLearner(target: m.id) }
        guard let poll else { return .refused("nothing is known of the cluster yet") }
        guard let leader = poll.primaries.first, let l = members.first(where: { $0.nodeID == leader }) else {
            return .refused("no leader to hand over: etcd is electing one")
        }
        if l.id == m.id { return .refused("\(candidate) is already the leader") }
        guard let url = l.clientURLs.first else { return .refused("the leader \(leader) has no client URL") }
        return .transferLeadership(leaderURL: url, target: m.id)
    }

    func promote(requestID: String, candidate: String) async {
        let now = clock()
        let (members, poll) = shared.withLock { ($0.members, $0.differ?.lastPoll) }
        let call = Self.call(promoting: candidate, members: members, poll: poll)
        let path: String
        let body: String
        let bases: [String]
        let kind: String
        switch call {
        case .refused(let why):
            result(requestID, "promote", .rejected, why)
            return
        case .transferLeadership(let url, let target):
            (path, body, bases, kind) = ("/v3/maintenance/transfer-leadership", "{\"targetID\":\"\(target)\"}", [url], "leadership move")
        case .promoteLearner(let target):
            // Any member takes it (it goes through raft); the leader first.
            let leaderURL = poll?.primaries.first.flatMap { l in members.first { $0.nodeID == l }?.clientURLs.first }
            let all = [leaderURL].compactMap { $0 } + config.urls + members.flatMap(\.clientURLs)
            var seen = Set<String>()
            (path, body, bases, kind) = (
                "/v3/cluster/member/promote", "{\"ID\":\"\(target)\"}", all.filter { seen.insert($0).inserted }, "learner promotion"
            )
        }
        shared.withLock { s in
            if kind == "leadership move" {
                s.causeHint = ("switchover: leadership moved to \(candidate) from clusterdash", now.adding(millis: 30_000))
            }
            let requested = s.differ?.stamp(
                .promotionRequested(PromotionRequested(requestID: requestID, candidate: candidate, requestedBy: "clusterdash (\(kind))")),
                at: now, correlationID: requestID)
            if let requested { push([requested], endpoint: 0) }
        }
        logger.notice("promote \(candidate): POST \(path) (request \(requestID))")
        var last = "no member answered"
        for base in bases {
            do {
                let answer = try await gateway.call(base, path, json: body, timeout: config.commandTimeout)
                let refusal = EtcdParse.error(answer.body)
                let status: CommandStatus = answer.status == 200 && refusal == nil ? .completed : .rejected
                let reason =
                    status == .completed
                    ? (kind == "leadership move" ? "the leader handed the leadership to \(candidate)" : "\(candidate) is a voting member now")
                    : "HTTP \(answer.status): \(refusal ?? String(answer.text.prefix(200)))"
                logger.notice("promote \(candidate): \(reason)")
                if status == .rejected { shared.withLock { $0.causeHint = nil } }
                result(requestID, "promote", status, reason)
                driver.wake()
                return
            } catch {
                last = "\(EndpointConfig(url: base).displayName): \(HTTPFailure.words(error))"
            }
        }
        shared.withLock { $0.causeHint = nil }
        result(requestID, "promote", .failed, "not sent: \(last)")
    }

    func result(_ requestID: String, _ op: String, _ status: CommandStatus, _ reason: String) {
        let now = clock()
        let r = CommandResult(requestID: requestID, op: op, status: status, reason: reason)
        shared.withLock { s in push([s.differ.stampResult(r, source: "etcd", at: now)], endpoint: 0) }
    }
}
