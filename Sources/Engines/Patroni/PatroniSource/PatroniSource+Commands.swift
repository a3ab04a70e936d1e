import ClusterProtocol
import ClusterState
import EngineHTTP
import EventSources
import NIOCore

extension PatroniSource {
    /// Takes `promote` (as a switchover or a failover); refuses the rest at
    /// once with a `command.result` that says why. A read-only source sends nothing.
    public func send(_ op: ClientOp) -> Bool {
        guard let requestID = op.requestID else { return false }
        if let why = commandRefusal(op, engine: "Patroni", readOnly: config.readOnly, accepts: ["promote"]) {
            result(requestID, op.op, .rejected, why)
            return true
        }
        guard case .promote(_, let node, let mode) = op else { return false }
        if let mode {
            result(requestID, op.op, .rejected, "Patroni has no failover mode \(mode.prefix(20)): nothing was sent")
            return true
        }
        Task { await self.promote(requestID: requestID, candidate: node) }
        return true
    }

    /// What the promotion of `candidate` becomes, from the last poll: a
    /// switchover from a healthy leader, else a failover.
    public enum PromotionCall: Sendable, Equatable {
        case switchover(leader: String)
        case failover
        case refused(String)
    }

    public static func call(promoting candidate: String, in poll: PolledCluster?) -> PromotionCall {
        guard let poll else { return .refused("nothing is known of the cluster yet") }
        guard poll.nodes.contains(where: { $0.id == candidate }) else { return .refused("\(candidate) is not a member") }
        let leader = poll.nodes.first { $0.role == .primary && $0.health != .unhealthy }
        if leader?.id == candidate { return .refused("\(candidate) is already the leader") }
        if let leader { return .switchover(leader: leader.id) }
        return .failover
    }

    func promote(requestID: String, candidate: String) async {
        let now = clock()
        let poll = shared.withLock { $0.differ?.lastPoll }
        let call = Self.call(promoting: candidate, in: poll)
        let (path, body): (String, String)
        switch call {
        case .refused(let why):
            result(requestID, "promote", .rejected, why)
            return
        case .switchover(let leader):
            path = "/switchover"
            body = "{\"leader\":\(jsonString(leader)),\"candidate\":\(jsonString(candidate))}"
        case .failover:
            path = "/failover"
            body = "{\"candidate\":\(jsonString(candidate))}"
        }
        let kind = path == "/switchover" ? "switchover" : "failover"
        // Queued under the lock that stamps (`push`).
        shared.withLock { s in
            s.causeHint = ("\(kind) to \(candidate) requested from clusterdash", now.adding(millis: 120_000))
            let requested = s.differ?.stamp(
                .promotionRequested(PromotionRequested(requestID: requestID, candidate: candidate, requestedBy: "clusterdash (\(kind))")),
                at: now, correlationID: requestID)
            if let requested { push([requested], endpoint: 0) }
        }
        logger.notice("promote \(candidate): POST \(path) (request \(requestID))")
        let bases = config.urls + shared.withLock { $0.discovered }.filter { !config.urls.contains($0) }
        var last = "no endpoint answered"
        for base in bases {
            do {
                let answer = try await rest.post(base + path, json: body, timeout: config.commandTimeout)
                let text = String(answer.text.prefix(300)).trimmingWhitespace
                let status: CommandStatus =
                    switch answer.status {
                    case 200: .completed
                    case 202: .accepted
                    default: .rejected
                    }
                let reason = answer.status == 200 ? text : "HTTP \(answer.status): \(text.isEmpty ? "no text" : text)"
                logger.notice("promote \(candidate): \(reason)")
                if status == .rejected { shared.withLock { $0.causeHint = nil } }
                result(requestID, "promote", status, reason)
                wake()
                return
            } catch {
                last = "\(Self.display(base)): \(HTTPFailure.words(error))"
            }
        }
        shared.withLock { $0.causeHint = nil }
        result(requestID, "promote", .failed, "not sent: \(last)")
    }

    func result(_ requestID: String, _ op: String, _ status: CommandStatus, _ reason: String) {
        let now = clock()
        let r = CommandResult(requestID: requestID, op: op, status: status, reason: reason)
        shared.withLock { s in push([s.differ.stampResult(r, source: "patroni", at: now)], endpoint: 0) }
    }

    func jsonString(_ s: String) -> String { JSONWriter.string(.string(s)) }
}
