import EtcdProtocol

/// libFuzzer's entry: any bytes as an answer from etcd's HTTP gateway
/// (`maintenance/status`, `cluster/member/list`, `maintenance/alarm`, an
/// error, `auth/authenticate`) and as a member's `/metrics`. Each reader may
/// refuse, never trap; an ID read is a 64-bit number as given, never rounded.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEtcd(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let start, count > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: start, count: count))
    _ = try? EtcdParse.status(bytes)
    if let members = try? EtcdParse.members(bytes) {
        for m in members where UInt64(m.hexID, radix: 16) != m.id { fatalError("member ID \(m.id) is not its hex \(m.hexID)") }
    }
    _ = try? EtcdParse.alarms(bytes)
    _ = EtcdParse.error(bytes)
    _ = EtcdParse.token(bytes)
    _ = EtcdParse.activePeers(bytes)
    return 0
}
