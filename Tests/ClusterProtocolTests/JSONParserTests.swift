import ClusterProtocol
import Testing

@Suite struct JSONParserTests {
    @Test func scalars() throws {
        #expect(try JSONParser.parse("null") == .null)
        #expect(try JSONParser.parse(" true ") == .bool(true))
        #expect(try JSONParser.parse("false") == .bool(false))
        #expect(try JSONParser.parse("0") == .int(0))
        #expect(try JSONParser.parse("-12") == .int(-12))
        #expect(try JSONParser.parse("1.5") == .double(1.5))
        #expect(try JSONParser.parse("2e3") == .double(2000))
        #expect(try JSONParser.parse("9223372036854775807") == .int(Int64.max))
        #expect(try JSONParser.parse("-9223372036854775808") == .int(Int64.min))
        // Past Int64: a double, not a trap.
        #expect(try JSONParser.parse("9223372036854775808") == .double(9_223_372_036_854_775_808))
    }

    @Test func rejectsWhatRFC8259Rejects() {
        for bad in [
            "", "01", "1.", ".5", "-", "+1", "1e", "tru", "nul", "[1,]", "{\"a\":1,}", "{a:1}", "'x'", "[1 2]",
            "\"\\x\"", "\"a", "{\"a\" 1}", "1 2", "NaN", "Infinity", "1e400", "\"\u{01}\"",
        ] {
            #expect(throws: JSONSyntaxError.self, "accepted \(bad.debugDescription)") { try JSONParser.parse(bad) }
        }
    }

    @Test func strings() throws {
        #expect(try JSONParser.parse(#""a\"b\\c\/d\n\t""#) == .string("a\"b\\c/d\n\t"))
        #expect(try JSONParser.parse(#""\u00e9\u4e2d""#) == .string("é中"))
        #expect(try JSONParser.parse(#""\ud83d\ude00""#) == .string("😀"))
        #expect(try JSONParser.parse("\"中文 ok\"") == .string("中文 ok"))
        #expect(throws: JSONSyntaxError.self) { try JSONParser.parse(#""\ud83d""#) }
        #expect(throws: JSONSyntaxError.self) { try JSONParser.parse(#""\ude00""#) }
    }

    @Test func invalidUTF8IsAnError() {
        let bytes: [UInt8] = [0x22, 0x61, 0xFF, 0x62, 0x22]
        #expect(throws: JSONSyntaxError.self) { try JSONParser.parse(bytes) }
        let overlong: [UInt8] = [0x22, 0xC0, 0x80, 0x22]
        #expect(throws: JSONSyntaxError.self) { try JSONParser.parse(overlong) }
        let surrogate: [UInt8] = [0x22, 0xED, 0xA0, 0x80, 0x22]
        #expect(throws: JSONSyntaxError.self) { try JSONParser.parse(surrogate) }
    }

    @Test func depthIsBounded() throws {
        let ok = String(repeating: "[", count: JSONParser.maxDepth) + String(repeating: "]", count: JSONParser.maxDepth)
        #expect(throws: Never.self) { try JSONParser.parse(ok) }
        let deep = String(repeating: "[", count: 100_000)
        do {
            _ = try JSONParser.parse(deep)
            Issue.record("accepted 100,000 levels")
        } catch {
            #expect(error.reason.contains("nesting deeper"))
        }
    }

    @Test func objectsKeepOrderAndLastKeyWins() throws {
        let v = try JSONParser.parse(#"{"b":1,"a":2,"b":3}"#)
        guard case .object(let o) = v else {
            Issue.record("not an object")
            return
        }
        #expect(o.fields.map(\.key) == ["b", "a", "b"])
        #expect(o["b"] == .int(3))
    }

    @Test func writerRoundTrips() throws {
        let text = #"{"s":"q\"\\\n\u0001é","n":-5,"d":0.25,"big":1e300,"t":true,"z":null,"a":[1,[2,{}]],"w":3.0}"#
        let v = try JSONParser.parse(text)
        let out = JSONWriter.string(v)
        #expect(try JSONParser.parse(out) == v)
        #expect(out.contains(#""w":3.0"#))
        #expect(out.contains(#"\u0001"#))
    }
}
