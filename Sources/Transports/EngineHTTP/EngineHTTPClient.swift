import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import Synchronization

/// One HTTP answer of an engine's API: the status and the body, bounded.
public struct HTTPAnswer: Sendable {
    public var status: Int
    public var body: [UInt8]
    public var text: String { String(decoding: body, as: UTF8.self) }

    public init(status: Int, body: [UInt8]) {
        self.status = status
        self.body = body
    }
}

/// The HTTP calls an engine's connector makes (Patroni's REST API, etcd's
/// gateway): a deadline each, the body read up to a bound, and a count of
/// the calls sent (the source's load on the cluster). Credentials go in
/// `headers`, given by the caller, and are never logged here.
public final class EngineHTTPClient: Sendable {
    public let client: HTTPClient
    /// Calls sent so far.
    public let sent = Atomic<Int>(0)
    /// The largest body read (etcd's `/metrics` is about 160 KB).
    public let maxBody: Int

    public init(client: HTTPClient, maxBody: Int = 4 << 20) {
        self.client = client
        self.maxBody = maxBody
    }

    public var calls: Int { sent.load(ordering: .relaxed) }

    public func call(
        _ url: String, method: HTTPMethod, json body: String? = nil, headers: [(String, String)] = [], timeout: TimeAmount
    ) async throws -> HTTPAnswer {
        var req = HTTPClientRequest(url: url)
        req.method = method
        req.headers.add(name: "Accept", value: "application/json")
        for (name, value) in headers { req.headers.add(name: name, value: value) }
        if let body {
            req.headers.add(name: "Content-Type", value: "application/json")
            req.body = .bytes(ByteBuffer(string: body))
        }
        sent.add(1, ordering: .relaxed)
        let response = try await client.execute(req, timeout: timeout)
        var buffer = try await response.body.collect(upTo: maxBody)
        return HTTPAnswer(status: Int(response.status.code), body: buffer.readBytes(length: buffer.readableBytes) ?? [])
    }
}
