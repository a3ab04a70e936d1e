import ClusterProtocol
import ClusterState
import EventSources
import ServiceLifecycle

/// A connector's stream served by `clusterdash gateway`: the envelopes the
/// connector makes (Patroni's polls and watch, diffed) go out unchanged, so
/// one poller serves every dashboard. It keeps the state they add up to, and
/// a subscriber that cannot resume starts from that state as a snapshot,
/// which continues the connector's seqs exactly. Commands go to the
/// connector, and its answer goes to the connection that asked.
public struct RelayEngine: ServedEngine {
    /// What the stream served so far adds up to. Its log and lag histories
    /// are not served (a snapshot carries neither), so they are kept short.
    public private(set) var state = ClusterState(limits: RelayEngine.limits)
    /// Nil for a read-only gateway: commands are refused, nothing is sent.
    let sink: (any CommandSink)?
    let clock: @Sendable () -> Timestamp
    private var stamper: EnvelopeStamper
    /// Request ids sent on: the same id twice does the work once.
    private var sent = BoundedDictionary<String, Bool>(capacity: 1_000)

    static var limits: StateLimits {
        var l = StateLimits()
        l.logCapacity = 64
        l.lagHistorySamples = 2
        return l
    }

    public init(sink: (any CommandSink)?, clock: @escaping @Sendable () -> Timestamp) {
        self.sink = sink
        self.clock = clock
        stamper = EnvelopeStamper(idPrefix: "gateway-\(UInt32.random(in: 0...UInt32.max))-")
    }

    public var nodeIDs: [String] { state.nodeIDs }
    public func isAlive(_ node: String) -> Bool { state.nodes[node]?.isPresent ?? false }
    public var seqs: [String: Int64] { state.seqs }
    public var primary: String? { state.primaries.first }

    public mutating func snapshot(covering: Set<String>?, source: String?) -> Envelope? {
        guard var data = state.snapshotData() else { return nil }
        if let covering { data.seqs = data.seqs.filter { covering.contains($0.key) } }
        // Sent as the connector's own (a snapshot carries its source's last seq).
        let from = source ?? (data.seqs.count == 1 ? data.seqs.keys.first : nil) ?? "gateway"
        return Envelope(id: stamper.nextID(), source: from, seq: data.seqs[from] ?? 0, timestamp: clock(), event: .snapshot(data))
    }

    public mutating func handle(_ op: ClientOp, scope: TokenScope, requestedBy: String) -> CommandHandling {
        guard let requestID = op.requestID else { return reject(nil, op.op, RejectionReason.invalidRequest.rawValue) }
        guard scope == .operate else { return reject(requestID, op.op, RejectionReason.readOnlyToken.rawValue) }
        guard let sink else { return reject(requestID, op.op, RejectionReason.unauthorized.rawValue) }
        if sent[requestID] != nil { return .later(requestID: requestID) }
        sent[requestID] = true
        guard sink.send(op) else { return reject(requestID, op.op, "not sent: the gateway reaches no endpoint of the engine") }
        return .later(requestID: requestID)
    }

    public mutating func invalidRequest(requestID: String?, op: String?) -> Envelope {
        result(requestID, op, RejectionReason.invalidRequest.rawValue)
    }

    public mutating func observe(_ e: Envelope) {
        state.apply(e)
    }

    private mutating func reject(_ requestID: String?, _ op: String?, _ reason: String) -> CommandHandling {
        .now(result: result(requestID, op, reason), events: [])
    }

    private mutating func result(_ requestID: String?, _ op: String?, _ reason: String) -> Envelope {
        stamper.stamp(
            .commandResult(CommandResult(requestID: requestID, op: op, status: .rejected, reason: reason)), from: "gateway", at: clock(),
            correlation: requestID)
    }
}

/// The gateway's one reader of its connector: starts it, moves what it makes
/// into the core every 20 ms at the most, and stops it on shutdown. When the
/// connector's queue overflowed, it asks the connector for a snapshot (the
/// stream starts over from one, for every subscriber).
public struct RelayPump: Service {
    let source: any EventSource
    let core: StreamCore<RelayEngine>

    public init(source: any EventSource, core: StreamCore<RelayEngine>) {
        self.source = source
        self.core = core
    }

    public func run() async throws {
        source.start()
        await withGracefulShutdownHandler {
            while !Task.isCancelled, !Task.isShuttingDownGracefully {
                var batch = source.queue.take()
                if batch.dropped > 0 { source.requestSnapshot(endpoint: 0) }
                if batch.items.isEmpty {
                    do { try await Task.sleep(for: .milliseconds(20)) } catch { break }
                    continue
                }
                await core.publish(batch.items.map(\.envelope))
                source.queue.recycle(&batch)
            }
        } onGracefulShutdown: {
        }
        await source.stop()
    }
}
