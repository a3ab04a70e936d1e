import Foundation

// clusterdash-bench: release-mode measurements (docs/PERFORMANCE.md).
// `--quick` shortens every phase; `--json` prints one JSON object.
// Not yet measured (issue 7): bytes per steady frame, idle CPU.
let args = CommandLine.arguments.dropFirst()
let quick = args.contains("--quick")
let json = args.contains("--json")
let rows = DecoderComparison.run(seconds: quick ? 0.3 : 3)
let raw = try await RawReceive.run(seconds: quick ? 1 : 5, decode: false)
let pipeline = try await Pipeline.run(seconds: quick ? 2 : 60)
let latency = try await Latency.run(seconds: quick ? 2 : 20)
let frames = FrameTime.run(quick: quick)
let mid = frames.first { $0.nodes == 1_000 }
if json {
    var fields: [String] = []
    fields.append("\"decode_apply_events_per_s\":\(Int(rows.last?.framesPerSecond ?? 0))")
    fields.append("\"raw_receive_events_per_s\":\(Int(raw.framesPerSecond))")
    fields.append("\"pipeline_events_per_s\":\(Int(pipeline.eventsPerSecond))")
    fields.append("\"latency_p50_ms\":\(Int(latency.p50))")
    fields.append("\"latency_p99_ms\":\(Int(latency.p99))")
    fields.append("\"latency_max_ms\":\(Int(latency.max))")
    fields.append("\"frame_ms_p50\":\(String(format: "%.3f", mid?.p50 ?? 0))")
    fields.append("\"frame_ms_p99\":\(String(format: "%.3f", mid?.p99 ?? 0))")
    fields.append("\"rss_mb_start\":\(String(format: "%.1f", pipeline.rssStartMB))")
    fields.append("\"rss_mb_after_flood\":\(String(format: "%.1f", pipeline.rssAfterMB))")
    print("{" + fields.joined(separator: ",") + "}")
} else {
    print("decoder comparison (frames/s, realistic mix, one core)")
    for r in rows {
        print("  \(r.name.padding(toLength: 42, withPad: " ", startingAt: 0)) \(String(format: "%10.0f", r.framesPerSecond))")
    }
    print("loopback WebSocket from the simulator's flood")
    print("  raw_receive_events_per_s                   \(String(format: "%10.0f", raw.framesPerSecond))  (\(Int(raw.bytesPerFrame)) bytes/frame)")
    print("  pipeline_events_per_s                      \(String(format: "%10.0f", pipeline.eventsPerSecond))  (\(pipeline.frames) frames, \(pipeline.dropped) dropped by the bounded queue)")
    print("  rss_mb_start / rss_mb_after_flood          \(String(format: "%10.1f", pipeline.rssStartMB)) / \(String(format: "%.1f", pipeline.rssAfterMB))")
    print("latency at 10,000 events/s, send -> the 30 fps frame that shows it (ms)")
    print("  p50 \(Int(latency.p50))  p99 \(Int(latency.p99))  max \(Int(latency.max))  (\(latency.events) events)")
    print("frame time, 200x60, render into a buffer (ms)")
    for f in frames {
        print("  \(f.nodes) nodes, \(f.partitions) partitions, \(f.logEntries) log entries: p50 \(String(format: "%.2f", f.p50))  p99 \(String(format: "%.2f", f.p99))")
    }
}
