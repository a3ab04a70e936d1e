import Foundation

// clusterdash-bench: release-mode measurements (docs/PERFORMANCE.md).
// `--quick` shortens every phase; `--json` prints one JSON object.
let args = CommandLine.arguments.dropFirst()
let quick = args.contains("--quick")
let json = args.contains("--json")
let rows = DecoderComparison.run(seconds: quick ? 0.3 : 3)
let raw = try await RawReceive.run(seconds: quick ? 1 : 5, decode: false)
if json {
    var fields = rows.map { "\"\($0.name)\":\(Int($0.framesPerSecond))" }
    fields.append("\"raw_receive_events_per_s\":\(Int(raw.framesPerSecond))")
    print("{" + fields.joined(separator: ",") + "}")
} else {
    print("decoder comparison (frames/s, realistic mix, one core)")
    for r in rows {
        print("  \(r.name.padding(toLength: 42, withPad: " ", startingAt: 0)) \(String(format: "%10.0f", r.framesPerSecond))")
    }
    print("loopback WebSocket from the simulator's flood, frames read and dropped")
    print("  raw_receive_events_per_s                   \(String(format: "%10.0f", raw.framesPerSecond))  (\(Int(raw.bytesPerFrame)) bytes/frame)")
}
