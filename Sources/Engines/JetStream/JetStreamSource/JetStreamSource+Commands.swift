import ClusterProtocol
import EventSources
import JetStreamProtocol
import NATSClient

extension JetStreamSource {
    /// Takes `promote` (the meta leader steps down, the candidate named as
    /// the preferred next leader: nats-server 2.11 and later honour it; 2.9
    /// elects one itself), `step_down` (a stream's leader steps down) and
    /// `migrate` (a stream moved to the servers of a placement tag). The
    /// rest is refused at once with a `command.result` that says why. A
    /// read-only source sends nothing.
    public func send(_ op: ClientOp) -> Bool {
        guard let requestID = op.requestID else { return false }
        if let why = commandRefusal(op, engine: "nats", readOnly: config.readOnly, accepts: ["promote", "step_down", "migrate"]) {
            result(requestID, op.op, .rejected, why)
            return true
        }
        switch op {
        case .promote(_, _, let mode?):
            result(requestID, op.op, .rejected, "nats has no promotion mode \(mode.prefix(20)): nothing was sent")
        case .promote(_, let node, nil):
            Task { await self.stepDown(requestID: requestID, toward: node) }
        case .stepDown(_, let partition):
            Task { await self.stepDownStream(requestID: requestID, partition: partition) }
        case .migrate(_, let stream, let tag, let dryRun):
            Task { await self.moveStream(requestID: requestID, stream: stream, toTag: tag, dryRun: dryRun) }
        case .cancelMigration, .subscribe, .snapshot:
            return false
        }
        return true
    }

    /// The request body of a meta step-down toward `server`, for a meta
    /// leader of that version: 2.11 and later take a preferred server;
    /// 2.9 knows no such field and refuses any placement but a cluster's
    /// ("no replacement peer connected"), so it gets an empty request.
    public static func stepDownBody(toward server: String, leaderVersion: String?) -> [UInt8] {
        let parts = (leaderVersion ?? "").split(separator: ".").map { Int($0.prefix { $0.isNumber }) ?? 0 }
        guard parts.count >= 2, parts[0] > 2 || (parts[0] == 2 && parts[1] >= 11) else { return [] }
        var b = ObjectBuilder()
        var placement = ObjectBuilder()
        placement.put("preferred", server)
        b.put("placement", placement.value)
        return JSONWriter.bytes(b.value)
    }

    func stepDown(requestID: String, toward candidate: String) async {
        let now = clock()
        let poll = shared.withLock { $0.differ?.lastPoll }
        guard let poll, poll.nodes.contains(where: { $0.id == candidate }) else {
            result(requestID, "promote", .rejected, "\(candidate) is not a server of the cluster")
            return
        }
        guard let leader = poll.primaries.first else {
            result(requestID, "promote", .rejected, "no meta leader to step down: the servers are electing one")
            return
        }
        let leaderVersion = poll.nodes.first { $0.id == leader }?.engine?.tag("version")
        if leader == candidate {
            result(requestID, "promote", .rejected, "\(candidate) is already the meta leader")
            return
        }
        shared.withLock { s in
            s.causeHint = ("switchover: \(leader) stepped down as meta leader from clusterdash", now.adding(millis: 30_000))
            let requested = s.differ?.stamp(
                .promotionRequested(
                    PromotionRequested(requestID: requestID, candidate: candidate, requestedBy: "clusterdash (meta leader step-down)")),
                at: now, correlationID: requestID)
            if let requested { push([requested], endpoint: s.connectedTo) }
        }
        logger.notice("promote \(candidate): $JS.API.META.LEADER.STEPDOWN of \(leader) (request \(requestID))")
        guard let c = await connection() else {
            shared.withLock { $0.causeHint = nil }
            result(requestID, "promote", .failed, "not sent: no server takes a connection")
            return
        }
        let asked = JetStreamCommand(requestID: requestID, op: "promote", what: "the meta leader", unanswered: "the step-down may still happen")
        let body = Self.stepDownBody(toward: candidate, leaderVersion: leaderVersion)
        if await apiRequest(c, "$JS.API.META.LEADER.STEPDOWN", body: body, asked) != nil {
            logger.notice("promote \(candidate): \(leader) stepped down")
            result(
                requestID, "promote", .completed,
                "\(leader) stepped down as meta leader; the next is on screen at the next poll (2.9 may elect another than \(candidate))")
        } else {
            shared.withLock { $0.causeHint = nil }
        }
        driver.wake()
    }

    func result(_ requestID: String, _ op: String, _ status: CommandStatus, _ reason: String) {
        let now = clock()
        let r = CommandResult(requestID: requestID, op: op, status: status, reason: reason)
        shared.withLock { s in push([s.differ.stampResult(r, source: "nats", at: now)], endpoint: s.connectedTo) }
    }
}
