import ArgumentParser
import ClusterProtocol
import ClusterState
import Foundation

@main
struct Clusterdash: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clusterdash",
        abstract: "A terminal console for replicated, partitioned clusters.",
        discussion: """
            With no arguments it decodes a built-in demo stream (protocol v1 JSON \
            lines) and prints the resulting cluster state. `clusterdash sim` runs the \
            cluster simulator, a protocol-v1 WebSocket server; `clusterdash tail` \
            prints a live cluster's failover log; `clusterdash replay` plays a \
            recording. The live ncurses dashboard comes next.
            """,
        subcommands: [SummaryCommand.self, SimCommand.self, TailCommand.self, ReplayCommand.self],
        defaultSubcommand: SummaryCommand.self
    )
}

struct SummaryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summary",
        abstract: "Decode a stream of protocol-v1 envelopes and print the cluster state."
    )

    @Argument(help: "A JSON-lines file of envelopes (one per line). Omit for the built-in demo stream.")
    var file: String?

    @Option(help: "How many failover log lines to print.")
    var logLines = 12

    func run() throws {
        let lines: [String]
        if let file {
            let text = try String(contentsOfFile: file, encoding: .utf8)
            lines = text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        } else {
            lines = DemoStream.lines()
        }
        var state = ClusterState()
        var errors: [String] = []
        var resyncs: [ResyncReason] = []
        for (i, line) in lines.enumerated() {
            do {
                let e = try EnvelopeCodec.decode(line)
                let outcome = state.apply(e)
                if let r = outcome.resync { resyncs.append(r) }
            } catch {
                errors.append("line \(i + 1): \(error.message)")
            }
        }
        print(Summary.render(state, decodeErrors: errors, resyncs: resyncs, logLines: logLines))
    }
}
