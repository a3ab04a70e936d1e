import ArgumentParser
import ClusterProtocol
import ClusterState
import EngineRegistry
import Foundation

@main
struct Clusterdash: AsyncParsableCommand {
    /// This release's version (the Debian package's too, `scripts/package`).
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "clusterdash",
        abstract: "A terminal console for replicated, partitioned clusters.",
        discussion: """
            With no arguments it shows the live dashboard of a simulated demo cluster \
            (started in-process on loopback). --endpoint URL points it at a real one. \
            `clusterdash sim` runs the simulator on its own; `clusterdash gateway` serves a \
            real engine to many dashboards; `clusterdash tail` prints a cluster's \
            failover log as text; `clusterdash replay` plays a recording. \
            Engines: \(EngineRegistry.names.map(\.rawValue).joined(separator: ", ")).
            """,
        version: "clusterdash \(version) (commit \(BuildInfo.commit))",
        subcommands: [
            DashboardCommand.self, SimCommand.self, GatewayCommand.self, TailCommand.self, ReplayCommand.self, SummaryCommand.self, KeysCommand.self,
        ],
        defaultSubcommand: DashboardCommand.self
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
        var state = ClusterState(vocabulary: EngineRegistry.vocabulary)
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
