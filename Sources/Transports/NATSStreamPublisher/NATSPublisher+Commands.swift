import ClusterProtocol
import ClusterState
import EventSources
import NATSClient

extension NATSPublisher.Session {
    /// The command subscription, there while commands are answered.
    struct CommandAnswering {
        private var subscription: NATSConnection.Subscription?
        private var task: Task<Void, Never>?

        mutating func answer(_ answering: Bool, session: NATSPublisher.Session, subscriber: Int) {
            guard answering != (subscription != nil) else { return }
            if answering {
                let sub = session.connection.subscribe(session.config.subjects.commands, queue: "clusterdash-gateways")
                subscription = sub
                task = Task { await session.serveCommands(sub, subscriber: subscriber) }
            } else {
                stop(session.connection)
            }
        }

        /// The session is over: the answering task ends with it (the
        /// connection closes after).
        func end() { task?.cancel() }

        mutating func stop(_ connection: NATSConnection) {
            if let s = subscription { connection.unsubscribe(s.sid) }
            task?.cancel()
            subscription = nil
            task = nil
        }
    }

    /// Commands by request/reply: run by the core; the result comes back
    /// through the subscription and goes to the reply subject.
    func serveCommands(_ sub: NATSConnection.Subscription, subscriber: Int) async {
        for await m in sub.messages {
            guard let reply = m.replyTo else { continue }
            publisher.shared.withLock { $0.stats.commands += 1 }
            let text = String(decoding: m.payload, as: UTF8.self)
            let op: ClientOp
            do {
                op = try ClientOpCodec.decode(text)
            } catch {
                let answer = await publisher.core.invalidRequest(requestID: error.requestID, op: error.op)
                connection.publish(reply, payload: Array(answer.utf8))
                continue
            }
            guard let id = op.requestID else { continue }
            if config.readOnly {
                let refusal = Envelope(
                    id: "nats-refusal-\(id)", source: "gateway", seq: 0, timestamp: wallClockNow(),
                    event: .commandResult(
                        CommandResult(requestID: id, op: op.op, status: .rejected, reason: "read-only: this gateway runs no command")))
                connection.publish(reply, payload: EnvelopeCodec.encode(refusal))
                continue
            }
            publisher.shared.withLock { $0.replies[id] = reply }
            await publisher.core.command(op, scope: .operate, from: subscriber, requestedBy: "nats")
        }
    }
}
