import JetStreamProtocol

/// libFuzzer's entry: any bytes as a NATS server's answer (a JSZ or HEALTHZ
/// reply, STREAM.NAMES, STREAM.INFO, an API error) and as a pushed
/// advisory or shutdown. Each reader may refuse, never trap; every figure
/// read is within its type (uint64 -1 clamped, never wrapped).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJetStream(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let start, count > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: start, count: count))
    if let r = try? JetStreamParse.serverReport(bytes) {
        if r.name.isEmpty { fatalError("a report without a server name was read") }
    }
    _ = try? JetStreamParse.health(bytes)
    _ = try? JetStreamParse.streamNames(bytes)
    _ = try? JetStreamParse.streamInfo(bytes, account: "APP")
    _ = JetStreamParse.apiError(bytes)
    _ = JetStreamParse.advisory(subject: "$JS.EVENT.ADVISORY.STREAM.LEADER_ELECTED.ORDERS", bytes)
    _ = JetStreamParse.advisory(subject: "$SYS.SERVER.NABC.SHUTDOWN", bytes)
    return 0
}
