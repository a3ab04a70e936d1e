import CHeap
import Dashboard
import Foundation
import RenderCore

// clusterdash-bench: release-mode measurements (docs/PERFORMANCE.md).
// `--quick` shortens every phase; `--json` prints one JSON object.
let args = CommandLine.arguments.dropFirst()
// `patroni`: measured on the real cluster of scripts/patroni-up (not a default phase).
if args.first == "patroni" {
    try await PatroniBench.main(Array(args.dropFirst()))
    exit(0)
}
// `redis`: measured on the real cluster of scripts/redis-cluster-up (not a default phase).
if args.first == "redis" {
    try await RedisBench.main(Array(args.dropFirst()))
    exit(0)
}
// `mysql`: measured on the replication of scripts/mariadb-up (not a default phase).
if args.first == "mysql" {
    try await MySQLBench.main(Array(args.dropFirst()))
    exit(0)
}
// `etcd`: measured on the cluster of scripts/etcd-up (not a default phase).
if args.first == "etcd" {
    try await EtcdBench.main(Array(args.dropFirst()))
    exit(0)
}
// `jetstream`: measured on the cluster of scripts/nats-up with accounts (not a default phase).
if args.first == "jetstream" {
    try await JetStreamBench.main(Array(args.dropFirst()))
    exit(0)
}
// `parti`: Parti's buckets written into the cluster of scripts/nats-up (not a default phase).
if args.first == "parti" {
    try await PartiBench.main(Array(args.dropFirst()))
    exit(0)
}
// `nats`: measured on the cluster of scripts/nats-up (not a default phase).
if args.first == "nats" {
    try await NATSBench.main(Array(args.dropFirst()))
    exit(0)
}
// `fleet [N] [SECONDS]`: what one cluster of the fleet costs the dashboard (not a default phase).
if args.first == "fleet" {
    try await FleetMemory.main(Array(args.dropFirst()))
    exit(0)
}
// `restarts [N]`: the server under a source SIGKILLed and restarted N times (docs/RELIABILITY.md).
if args.first == "restarts" {
    try await Restarts.main(Array(args.dropFirst()))
    exit(0)
}
// Any other option is refused at once (a tool that asks every executable
// `--experimental-dump-help`, such as generate-manual, would start a
// two-minute run otherwise).
if let unknown = args.first(where: { $0.hasPrefix("-") && !["--quick", "--json", "--only"].contains($0) }) {
    FileHandle.standardError.write(Data("clusterdash-bench: unknown option \(unknown) (docs/PERFORMANCE.md, \"How to reproduce\")\n".utf8))
    exit(2)
}
let quick = args.contains("--quick")
let json = args.contains("--json")
// The bench's pipeline stands in for the dashboard process: the same
// allocator setting the dashboard makes at start (DashboardRuntime.run).
cd_heap_configure()
// `--only a,b` runs only those phases (decode, raw, pipeline, latency,
// frame, steady, idle), for profiling one of them.
let only: Set<String>? = args.firstIndex(of: "--only").flatMap { i in
    args.index(after: i) < args.endIndex ? Set(args[args.index(after: i)].split(separator: ",").map(String.init)) : nil
}
func want(_ phase: String) -> Bool { only?.contains(phase) ?? true }
// The pipeline runs first: its rss_mb_start is this process before any
// other phase has touched the heap.
let pipeline = want("pipeline") ? try await Pipeline.run(seconds: quick ? 2 : 60) : nil
let rows = want("decode") ? DecoderComparison.run(seconds: quick ? 0.3 : 3) : []
let raw = want("raw") ? try await RawReceive.run(seconds: quick ? 1 : 5, decode: false) : nil
let latency = want("latency") ? try await Latency.run(seconds: quick ? 2 : 20) : nil
let frames = want("frame") ? FrameTime.run(quick: quick) : []
let mid = frames.first { $0.nodes == 1_000 }
let steady = want("steady") ? try SteadyFrame.run(frames: quick ? 30 : 200, theme: benchTheme()) : nil
let idle = want("idle") ? try await IdleCPU.run(seconds: quick ? 3 : 10) : nil
let caps = want("pipeline") ? Caps.measure() : nil

func f1(_ v: Double) -> String { String(format: "%.1f", v) }
func f3(_ v: Double) -> String { String(format: "%.3f", v) }

if json {
    var fields: [(String, String)] = []
    if let r = rows.last { fields.append(("decode_apply_events_per_s", "\(Int(r.framesPerSecond))")) }
    if let raw { fields.append(("raw_receive_events_per_s", "\(Int(raw.framesPerSecond))")) }
    if let pipeline { fields.append(("pipeline_events_per_s", "\(Int(pipeline.eventsPerSecond))")) }
    if let latency {
        fields += [("latency_p50_ms", f1(latency.p50)), ("latency_p99_ms", f1(latency.p99)), ("latency_max_ms", f1(latency.max))]
    }
    if let mid { fields += [("frame_ms_p50", f3(mid.p50)), ("frame_ms_p99", f3(mid.p99))] }
    if let steady {
        fields += [
            ("bytes_per_steady_frame", f1(steady.bytesPerFrame)), ("changed_cells_per_steady_frame", f1(steady.changedCellsPerFrame)),
            ("needed_bytes_per_steady_frame", f1(steady.neededBytesPerFrame)),
        ]
    }
    if let idle { fields.append(("idle_cpu_percent", f3(idle.percent))) }
    if let pipeline { fields += [("rss_mb_start", f1(pipeline.rssStartMB)), ("rss_mb_after_flood", f1(pipeline.rssAfterMB))] }
    if let caps { fields.append(("caps_mb", f1(caps.totalMB))) }
    print("{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}")
} else {
    func row(_ key: String, _ value: String, _ note: String = "") {
        print(
            "  " + key.padding(toLength: 42, withPad: " ", startingAt: 0) + " " + String(repeating: " ", count: max(0, 10 - value.count)) + value
                + (note.isEmpty ? "" : "  (\(note))"))
    }
    if !rows.isEmpty {
        print("decoder comparison (frames/s, realistic mix, one core)")
        for r in rows { row(r.name, String(format: "%.0f", r.framesPerSecond)) }
    }
    if raw != nil || pipeline != nil { print("loopback WebSocket from the simulator's flood") }
    if let raw { row("raw_receive_events_per_s", String(format: "%.0f", raw.framesPerSecond), "\(Int(raw.bytesPerFrame)) bytes/frame") }
    if let pipeline {
        row(
            "pipeline_events_per_s", String(format: "%.0f", pipeline.eventsPerSecond),
            "\(pipeline.frames) frames, \(pipeline.dropped) dropped by the bounded queue")
        row(
            "rss_mb_start / rss_mb_after_flood", "\(f1(pipeline.rssStartMB)) / \(f1(pipeline.rssAfterMB))",
            "heap in use \(f1(pipeline.heapStartMB)) / \(f1(pipeline.heapAfterMB)), peak \(f1(pipeline.heapPeakMB))")
        if let caps {
            let limit = pipeline.rssStartMB * 1.2 + caps.totalMB
            row(
                "caps_mb (queue + model, heap in use)", f1(caps.totalMB),
                "\(f1(caps.queueMB)) + \(f1(caps.modelMB)); start x 1.2 + caps = \(f1(limit)) MB")
        }
    }
    if let latency {
        print("latency at 10,000 events/s, send -> the 30 fps frame that shows it (ms)")
        row("latency_p50_ms / p99 / max", "\(f1(latency.p50)) / \(f1(latency.p99)) / \(f1(latency.max))", "\(latency.events) events")
    }
    if !frames.isEmpty { print("frame time, 200x60, render into a buffer (ms)") }
    for f in frames {
        row(
            "\(f.nodes) nodes, \(f.partitions) partitions, \(f.logEntries) log",
            "p50 \(String(format: "%.2f", f.p50))  p99 \(String(format: "%.2f", f.p99))")
    }
    if let steady {
        print("ncurses into a 200x60 pseudo-terminal, steady frames (\(steady.frames); 100 nodes, 3 lag changes a frame)")
        row(
            "bytes_per_steady_frame", f1(steady.bytesPerFrame),
            "the changed cells need \(f1(steady.neededBytesPerFrame)); first frame \(steady.firstFrameBytes)")
        row("changed_cells_per_steady_frame", f1(steady.changedCellsPerFrame))
    }
    if let idle {
        print("the clusterdash binary in a pseudo-terminal, connected, nothing happening (\(String(format: "%.0f", idle.seconds)) s)")
        row("idle_cpu_percent", f3(idle.percent))
    }
}

/// The default theme from the repository's themes/ (the bench runs from the
/// checkout), or no colours at all when it is not there.
func benchTheme() -> Theme {
    let exe = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath().deletingLastPathComponent()
    for path in [exe.appendingPathComponent("../../themes/default.toml").standardized.path, "themes/default.toml"] {
        if let text = try? String(contentsOfFile: path, encoding: .utf8), let theme = try? Theme.parse(toml: text) { return theme }
    }
    return Theme(name: "none", styles: [:])
}
