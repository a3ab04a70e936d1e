import ArgumentParser
import EngineKit
import Foundation

/// The flags that name a protocol-v1 stream: its endpoints and how to reach them.
struct StreamFlags: ParsableArguments, EngineFlags {
    @Option(
        name: .customLong("endpoint"),
        help: """
            A protocol-v1 WebSocket URL (ws:// or wss://), or a NATS server carrying the stream \
            (nats://HOST:PORT[/CLUSTER], nats+ws://); repeat for several.
            """
    )
    var endpoints: [String] = []

    @Option(help: "Bearer token (default: the environment variable CLUSTERDASH_TOKEN). Never printed or logged.")
    var token: String?

    @Option(name: .customLong("ca-file"), help: "PEM file of a private CA for wss:// endpoints.")
    var caFile: String?

    @Option(
        name: .customLong("tls-server-name"),
        help: "The name the wss:// server's certificate must carry, when the URL gives another (a bare IP address).")
    var tlsServerName: String?

    var named: [String] { endpoints.isEmpty ? [] : ["--endpoint"] }
    var usage: [String] { ["--endpoint URL"] }

    /// The endpoints, checked; nil without --endpoint.
    func settings() throws -> (any EngineSettings)? {
        guard !endpoints.isEmpty else { return nil }
        for url in endpoints {
            guard let c = URLComponents(string: url), let scheme = c.scheme, StreamConnector.schemes.contains(scheme), c.host != nil else {
                throw ValidationError("--endpoint must be a ws://, wss://, nats:// or nats+ws:// URL, got \(url)")
            }
        }
        var s = StreamSettings(endpoints: endpoints)
        refine(&s)
        return s
    }

    /// The token, CA and server name given for a configured stream.
    func refine(_ settings: inout any EngineSettings) throws {
        guard var s = settings as? StreamSettings else { return }
        refine(&s)
        settings = s
    }

    private func refine(_ s: inout StreamSettings) {
        if let token { s.token = Secret(token) }
        if let caFile { s.caFile = caFile }
        if let tlsServerName { s.tlsServerName = tlsServerName }
    }
}
