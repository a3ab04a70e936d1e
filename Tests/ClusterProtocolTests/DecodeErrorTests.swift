import ClusterProtocol
import Testing

private func decodeError(_ text: String) -> ProtocolError? {
    do {
        _ = try EnvelopeCodec.decode(text)
        return nil
    } catch {
        return error
    }
}

private let lagData = #"{"follower":"node-2","leader":"node-1","lag_ms":5,"lag_entries":1,"wal_position":9}"#

private func frame(type: String = "replication.lag", data: String = lagData, extra: String = "") -> String {
    #"{"v":1,"id":"e1","source":"node-2","seq":3,"ts":"2026-11-23T13:00:00.123Z","type":"\#(type)",\#(extra)"data":\#(data)}"#
}

@Suite struct DecodeErrorTests {
    @Test func validFrameDecodes() throws {
        let e = try EnvelopeCodec.decode(frame())
        #expect(e.seq == 3)
        #expect(e.correlationID == nil)
    }

    @Test func notJSONIsATypedError() {
        let e = decodeError("{not json")
        #expect(e?.kind == .notJSON)
        #expect(e?.message.hasPrefix("not JSON:") == true)
    }

    @Test func topLevelArrayIsNotAnObject() {
        #expect(decodeError("[1,2]")?.kind == .notAnObject)
    }

    @Test func missingFieldNamesFieldAndType() {
        let e = decodeError(frame(type: "node.role_changed", data: #"{"from":"replica","to":"primary","term":8}"#))
        #expect(e?.kind == .missingField)
        #expect(e?.message == "missing field `node` in `node.role_changed`")
    }

    @Test func missingEnvelopeField() {
        let e = decodeError(#"{"v":1,"source":"a","seq":1,"ts":"2026-11-23T13:00:00.123Z","type":"node.left","data":{}}"#)
        #expect(e?.message == "missing field `id` in `envelope of node.left`")
    }

    @Test func missingData() {
        let e = decodeError(#"{"v":1,"id":"x","source":"a","seq":1,"ts":"2026-11-23T13:00:00.123Z","type":"node.left"}"#)
        #expect(e?.message == "missing field `data` in `node.left`")
    }

    @Test func wrongTypeSaysWhatWasExpected() {
        let e = decodeError(frame(data: #"{"follower":"node-2","lag_ms":"slow"}"#))
        #expect(e?.kind == .wrongType)
        #expect(e?.message == "field `lag_ms` in `replication.lag` must be an integer, got a string")
    }

    @Test func nestedContextInMessages() {
        let e = decodeError(
            frame(
                type: "assignment.published",
                data: #"{"version":3,"strategy":"round_robin","partitions":[{"id":0,"worker":"a"},{"worker":"b"}]}"#))
        #expect(e?.message == "missing field `id` in `assignment.published.partitions[1]`")
    }

    @Test func fractionalIntegerIsInvalid() {
        let e = decodeError(frame(data: #"{"follower":"n","lag_ms":1.5}"#))
        #expect(e?.kind == .invalidValue)
    }

    @Test func badTimestamp() {
        let e = decodeError(#"{"v":1,"id":"e","source":"s","seq":1,"ts":"yesterday","type":"x","data":{}}"#)
        #expect(e?.kind == .invalidValue)
        #expect(e?.message.contains("RFC 3339") == true)
    }

    @Test func negativeSeqIsInvalid() {
        let e = decodeError(#"{"v":1,"id":"e","source":"s","seq":-4,"ts":"2026-11-23T13:00:00Z","type":"x","data":{}}"#)
        #expect(e?.kind == .invalidValue)
    }

    @Test func frameOverFourMiBIsRejectedBeforeParsing() {
        // Not even valid JSON: the size check must come first.
        let big = [UInt8](repeating: UInt8(ascii: "x"), count: EnvelopeCodec.maxFrameBytes + 1)
        do {
            _ = try EnvelopeCodec.decode(big)
            Issue.record("decoded an oversized frame")
        } catch {
            #expect(error.kind == .frameTooLarge)
        }
    }

    @Test func unknownFieldsAreIgnored() throws {
        let plain = try EnvelopeCodec.decode(frame())
        let extra = try EnvelopeCodec.decode(
            frame(
                data: #"{"follower":"node-2","leader":"node-1","lag_ms":5,"lag_entries":1,"wal_position":9,"shiny":[1,{"a":2}]}"#,
                extra: #""trace":{"span":"abc"},"#))
        #expect(plain == extra)
    }

    @Test func unknownTypeIsKeptRaw() throws {
        let e = try EnvelopeCodec.decode(frame(type: "quota.changed", data: #"{"q":1}"#))
        #expect(e.event == .unknown(type: "quota.changed", raw: .object(JSONObject([JSONField("q", .int(1))]))))
        #expect(e.type == "quota.changed")
    }

    @Test func unknownTypeWithoutDataIsStillAccepted() throws {
        let e = try EnvelopeCodec.decode(#"{"v":1,"id":"e","source":"s","seq":1,"ts":"2026-11-23T13:00:00Z","type":"x.y"}"#)
        #expect(e.event == .unknown(type: "x.y", raw: .null))
    }

    @Test func otherVersionIsReportedNotFatal() throws {
        let e = try EnvelopeCodec.decode(frame().replacingOccurrences(of: #""v":1"#, with: #""v":2"#))
        #expect(e.version == 2)
        #expect(!e.isSupportedVersion)
    }

    @Test func unknownEnumValuesStayOpen() throws {
        let e = try EnvelopeCodec.decode(
            frame(type: "node.role_changed", data: #"{"node":"n","from":"replica","to":"observer","term":2,"reason":null}"#))
        guard case .roleChanged(let d) = e.event else {
            Issue.record("wrong event")
            return
        }
        #expect(d.to == .other("observer"))
        #expect(EnvelopeCodec.encodeString(e).contains(#""to":"observer""#))
    }

    @Test func clientOpErrorsCarryTheRequestID() {
        do {
            _ = try ClientOpCodec.decode(#"{"op":"reboot","request_id":"r-9"}"#)
            Issue.record("decoded an unknown op")
        } catch {
            #expect(error.error.kind == .unknownOp)
            #expect(error.requestID == "r-9")
        }
        do {
            _ = try ClientOpCodec.decode(#"{"op":"promote","request_id":"r-3"}"#)
            Issue.record("decoded promote without node")
        } catch {
            #expect(error.error.message == "missing field `node` in `promote`")
            #expect(error.requestID == "r-3")
        }
        do {
            _ = try ClientOpCodec.decode("nonsense")
            Issue.record("decoded nonsense")
        } catch {
            #expect(error.requestID == nil)
            #expect(error.error.kind == .notJSON)
        }
    }

    @Test func subscribeWithoutResume() throws {
        #expect(try ClientOpCodec.decode(#"{"op":"subscribe"}"#) == .subscribe(resume: nil))
        #expect(ClientOpCodec.encode(.subscribe(resume: nil)) == #"{"op":"subscribe"}"#)
        #expect(ClientOpCodec.encode(.snapshot) == #"{"op":"snapshot"}"#)
    }
}
