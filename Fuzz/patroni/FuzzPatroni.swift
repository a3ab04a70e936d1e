import PatroniProtocol

/// libFuzzer's entry: any bytes as an answer from Patroni's REST API
/// (`/cluster`, `/history`, `/config`, a member's status) and as etcd's watch
/// stream. Each reader may refuse, never trap; the watch stream cut anywhere
/// (the first byte picks where) splits into the same lines as in one piece.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPatroni(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let start, count > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: start, count: count))
    _ = try? PatroniParse.cluster(bytes)
    _ = try? PatroniParse.history(bytes)
    _ = try? PatroniParse.config(bytes)
    _ = try? PatroniParse.memberStatus(bytes)
    var whole = WatchLineBuffer(maxLine: 512)
    let lines = whole.append(bytes)
    for line in lines { _ = try? EtcdWatchParse.message(line) }
    let cut = Int(bytes[0]) % bytes.count
    var pieces = WatchLineBuffer(maxLine: 512)
    let split = pieces.append(bytes[..<cut]) + pieces.append(bytes[cut...])
    guard split == lines, pieces.oversized == whole.oversized else { fatalError("the watch stream cut at \(cut) split differently") }
    return 0
}
