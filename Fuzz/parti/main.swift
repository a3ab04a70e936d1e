import ClusterProtocol
import PartiRules

/// libFuzzer's entry: any bytes as a value of Parti's buckets (the election
/// key's `worker:seconds`, a heartbeat's or id claim's RFC 3339 time, an
/// assignment's JSON), then what was read through the mapper, twice (a
/// table is settled over two equal reads). Each reader may refuse, never
/// trap; a figure at the edge of its type (a weight or version near
/// `Int64.max`, seconds far from now) is shown, never wrapped.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzParti(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let start, count > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: start, count: count))
    let now = Timestamp(millis: 1_780_000_000_000)
    let leader = PartiKV.leader(bytes)
    if let leader, leader.worker.isEmpty { fatalError("a leader without a worker was read") }
    let beat = PartiKV.time(bytes)
    let assignment = PartiKV.assignment(bytes)
    var o = PartiObservation(leader: leader)
    let worker = leader?.worker ?? "w-0"
    o.ids[worker] = beat
    if let beat { o.heartbeats[worker] = beat }
    if let assignment {
        o.assignments[worker] = assignment
        o.assignments["w-1"] = assignment
    }
    var mapper = PartiMapper()
    _ = mapper.cluster(o, name: "fuzz", at: now)
    _ = mapper.cluster(o, name: "fuzz", at: now.adding(millis: 1_000))
    return 0
}
