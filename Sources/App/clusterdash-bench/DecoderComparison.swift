import ClusterProtocol
import ClusterState
import Foundation

/// The measurement behind the choice of decoder (docs/PROTOCOL.md, "Decoder").
/// Decodes the same realistic frame mix with Foundation's JSONDecoder (Codable
/// structs for the envelope and a lag sample), with JSONSerialization, and with
/// ClusterProtocol's own parser, and reports frames per second for each.
enum DecoderComparison {
    // The wire's own key names, as a plain Codable client would write them.
    // swift-format-ignore: AlwaysUseLowerCamelCase
    struct CodableEnvelope: Decodable {
        let v: Int
        let id: String
        let source: String
        let seq: Int64
        let ts: String
        let type: String
        let correlation_id: String?
        let causation_id: String?
        let data: CodableLag?
    }

    // swift-format-ignore: AlwaysUseLowerCamelCase
    struct CodableLag: Decodable {
        let follower: String
        let leader: String?
        let lag_ms: Int64
        let lag_entries: Int64
        let wal_position: Int64?
    }

    struct Row {
        var name: String
        var framesPerSecond: Double
    }

    /// A mix dominated by lag samples (as a live cluster's stream is), with
    /// health, role and migration events between them.
    static func frames(count: Int) -> [[UInt8]] {
        var out: [[UInt8]] = []
        out.reserveCapacity(count)
        var t = Timestamp(millis: 1_795_438_800_000)
        for i in 0..<count {
            t = t.adding(millis: 7)
            let node = "node-\(i % 5 + 1)"
            let event: Event
            switch i % 20 {
            case 0: event = .healthChanged(HealthChanged(node: node, from: .healthy, to: .suspect, consecutiveFailures: 1, detail: "slow disk"))
            case 1:
                event = .migrationProgress(
                    MigrationProgress(migrationID: "m-1", phase: .drainingWAL, drainedEntries: Int64(i), totalEntries: 1_000_000))
            case 2: event = .stateChanged(StateChanged(node: node, from: .stable, to: .stable, calculatorState: nil, reason: nil, windowMillis: nil))
            default:
                event = .replicationLag(
                    ReplicationLag(
                        follower: node, leader: "node-1", lagMillis: Int64(i % 5000), lagEntries: Int64(i % 900), walPosition: Int64(88_000 + i)))
            }
            let e = Envelope(
                id: "7d0c6f5e-3c9b-4c43-9a51-\(String(format: "%012d", i))", source: node, seq: Int64(i / 5 + 1), timestamp: t, event: event)
            out.append(EnvelopeCodec.encode(e))
        }
        return out
    }

    static func measure(_ name: String, frames: [[UInt8]], seconds: Double, _ body: ([UInt8]) -> Void) -> Row {
        // Warm up, then run whole passes until the time is used.
        for f in frames.prefix(1000) { body(f) }
        let clock = ContinuousClock()
        let start = clock.now
        var done = 0
        while true {
            for f in frames { body(f) }
            done += frames.count
            let elapsed = clock.now - start
            let s = inSeconds(elapsed)
            if s >= seconds { return Row(name: name, framesPerSecond: Double(done) / s) }
        }
    }

    static func run(seconds: Double) -> [Row] {
        let frames = frames(count: 20_000)
        let datas = frames.map { Data($0) }
        var rows: [Row] = []
        let decoder = JSONDecoder()
        var i = 0
        rows.append(
            measure("Foundation JSONDecoder (Codable)", frames: frames, seconds: seconds) { _ in
                _ = try? decoder.decode(CodableEnvelope.self, from: datas[i % datas.count])
                i += 1
            })
        i = 0
        rows.append(
            measure("Foundation JSONSerialization", frames: frames, seconds: seconds) { _ in
                _ = try? JSONSerialization.jsonObject(with: datas[i % datas.count])
                i += 1
            })
        rows.append(
            measure("ClusterProtocol JSONParser (tree only)", frames: frames, seconds: seconds) { f in
                _ = try? JSONParser.parse(f)
            })
        rows.append(
            measure("ClusterProtocol EnvelopeCodec (typed)", frames: frames, seconds: seconds) { f in
                _ = try? EnvelopeCodec.decode(f)
            })
        var state = ClusterState()
        rows.append(
            measure("EnvelopeCodec + ClusterState.apply", frames: frames, seconds: seconds) { f in
                if let e = try? EnvelopeCodec.decode(f) { state.apply(e) }
            })
        return rows
    }
}
