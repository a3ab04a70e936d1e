import ClusterProtocol

/// libFuzzer's entry: any bytes as a protocol-v1 frame from a server (an
/// envelope) and from a client (an op). Decoding may refuse, never trap; what
/// decodes must encode and decode again to the same value.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEnvelope(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let raw = UnsafeRawBufferPointer(start: start, count: start == nil ? 0 : count)
    if let envelope = try? EnvelopeCodec.decode(raw) {
        let text = EnvelopeCodec.encode(envelope)
        guard let again = try? EnvelopeCodec.decode(text) else { fatalError("an envelope we encoded does not decode: \(text)") }
        guard again == envelope else { fatalError("round trip changed the envelope: \(text)") }
    }
    let text = String(decoding: raw, as: UTF8.self)
    if let op = try? ClientOpCodec.decode(text) {
        let encoded = ClientOpCodec.encode(op)
        guard let again = try? ClientOpCodec.decode(encoded) else { fatalError("an op we encoded does not decode: \(encoded)") }
        guard again == op else { fatalError("round trip changed the op: \(encoded)") }
    }
    return 0
}
