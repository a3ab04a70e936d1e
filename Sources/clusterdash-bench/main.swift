import Foundation

// clusterdash-bench: release-mode measurements (docs/PERFORMANCE.md).
// Today: the decoder comparison. `--quick` shortens every phase.
let args = CommandLine.arguments.dropFirst()
let quick = args.contains("--quick")
let json = args.contains("--json")
let rows = DecoderComparison.run(seconds: quick ? 0.3 : 3)
if json {
    let fields = rows.map { "\"\($0.name)\":\(Int($0.framesPerSecond))" }
    print("{" + fields.joined(separator: ",") + "}")
} else {
    print("decoder comparison (frames/s, realistic mix, one core)")
    for r in rows {
        print("  \(r.name.padding(toLength: 42, withPad: " ", startingAt: 0)) \(String(format: "%10.0f", r.framesPerSecond))")
    }
}
