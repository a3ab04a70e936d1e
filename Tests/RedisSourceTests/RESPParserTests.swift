import NIOCore
import RedisSource
import Testing

@Suite struct RESPParserTests {
    func parseAll(_ text: String, parser: RESPParser = RESPParser()) throws -> [RESPValue] {
        var b = ByteBuffer(string: text)
        var out: [RESPValue] = []
        while let v = try parser.parse(&b) { out.append(v) }
        #expect(b.readableBytes == 0, "everything was consumed")
        return out
    }

    @Test func resp2Types() throws {
        let values = try parseAll(
            "+OK\r\n-ERR unknown command\r\n:42\r\n:-7\r\n$5\r\nhello\r\n$0\r\n\r\n$-1\r\n*2\r\n$3\r\nfoo\r\n:1\r\n*-1\r\n*0\r\n")
        #expect(
            values == [
                .simple("OK"), .error("ERR unknown command"), .integer(42), .integer(-7), .bulk(Array("hello".utf8)), .bulk([]), .bulk(nil),
                .array([.bulk(Array("foo".utf8)), .integer(1)]), .array(nil), .array([]),
            ])
        #expect(values[4].text == "hello")
    }

    @Test func resp3Types() throws {
        let values = try parseAll(
            "_\r\n#t\r\n#f\r\n,3.25\r\n,inf\r\n(3492890328409238509324850943850943825024385\r\n=15\r\ntxt:Some string\r\n!21\r\nSYNTAX invalid syntax\r\n"
                + "%2\r\n+role\r\n+master\r\n+port\r\n:6380\r\n~2\r\n+a\r\n+b\r\n>3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n|1\r\n+ttl\r\n:3\r\n:100\r\n"
        )
        #expect(values[0] == .null)
        #expect(values[1] == .boolean(true) && values[2] == .boolean(false))
        #expect(values[3] == .double(3.25) && values[4] == .double(.infinity))
        #expect(values[5] == .bigNumber("3492890328409238509324850943850943825024385"))
        #expect(values[6] == .verbatim(format: "txt", text: "Some string"))
        #expect(values[7] == .error("SYNTAX invalid syntax"))
        #expect(values[8] == .map([RESPPair(.simple("role"), .simple("master")), RESPPair(.simple("port"), .integer(6380))]))
        #expect(values[8].fields?.map(\.0) == ["role", "port"])
        #expect(values[9] == .set([.simple("a"), .simple("b")]))
        #expect(values[10].elements?.compactMap(\.text) == ["message", "ch", "hi"])
        #expect(values[11] == .integer(100), "an attribute describes the value after it")
        #expect(values.count == 12)
    }

    @Test func aFlatKeyValueArrayReadsAsFields() {
        let v = RESPValue.array([.bulk(Array("name".utf8)), .bulk(Array("mymaster".utf8)), .bulk(Array("quorum".utf8)), .bulk(Array("2".utf8))])
        #expect(v.fields?.map { "\($0.0)=\($0.1.text ?? "")" } == ["name=mymaster", "quorum=2"])
    }

    /// Every value cut at every byte: nil until whole, then the same value,
    /// and nothing consumed before that.
    @Test func cutAnywhere() throws {
        let wire = "*3\r\n$3\r\nSET\r\n%1\r\n+k\r\n$-1\r\n,1.5\r\n"
        let whole = try parseAll(wire)
        let bytes = Array(wire.utf8)
        for cut in 0..<bytes.count {
            var b = ByteBuffer(bytes: bytes[0..<cut])
            #expect(try RESPParser().parse(&b) == nil, "cut at \(cut)")
            #expect(b.readableBytes == cut, "nothing consumed at \(cut)")
            b.writeBytes(bytes[cut...])
            #expect(try RESPParser().parse(&b) == whole.first, "cut at \(cut)")
        }
    }

    @Test func garbageAndLimitsAreErrorsNotCrashesOrAllocations() {
        var small = RESPParser()
        small.maxBulkBytes = 10
        small.maxElements = 3
        small.maxDepth = 2
        small.maxLineBytes = 16
        let bad = [
            "?what\r\n", ":12x\r\n", "$abc\r\n", "$-2\r\n", "*-5\r\n", "#x\r\n", ",nope\r\n", "(12a\r\n", "$3\r\nabcXY", "=2\r\nab\r\n", "+ok\rX",
            "$11\r\n", "*4\r\n", "*1\r\n*1\r\n*1\r\n:1\r\n", "+" + String(repeating: "x", count: 40) + "\r\n",
            "+" + String(repeating: "y", count: 40),
            "~-1\r\n", "$99999999999999999999\r\n",
        ]
        for text in bad {
            var b = ByteBuffer(string: text)
            #expect(throws: RESPError.self, "\(text.debugDescription)") { _ = try small.parse(&b) }
        }
    }

    /// Random bytes and damaged answers: each parse ends in a value, nil or
    /// an error, never a crash (a deterministic generator, 20,000 inputs).
    @Test func randomAndDamagedInputNeverCrash() {
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            seed &+= 0x9E37_79B9_7F4A_7C15
            var z = seed
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        let samples = Array("*2\r\n$3\r\nfoo\r\n%1\r\n+a\r\n~1\r\n,2.5\r\n:-1\r\n_\r\n#t\r\n=7\r\ntxt:abc\r\n".utf8)
        var outcomes = [0, 0, 0]
        for i in 0..<20_000 {
            var bytes: [UInt8]
            if i % 2 == 0 {
                bytes = (0..<Int(next() % 64)).map { _ in UInt8(truncatingIfNeeded: next()) }
            } else {
                bytes = samples
                for _ in 0..<(1 + Int(next() % 4)) {
                    bytes[Int(next() % UInt64(bytes.count))] =
                        [UInt8(ascii: "*"), UInt8(ascii: "$"), UInt8(ascii: "\r"), UInt8(ascii: "9"), 0xFF][
                            Int(next() % 5)]
                }
            }
            var b = ByteBuffer(bytes: bytes)
            do {
                if try RESPParser().parse(&b) == nil { outcomes[1] += 1 } else { outcomes[0] += 1 }
            } catch {
                outcomes[2] += 1
            }
        }
        #expect(outcomes.reduce(0, +) == 20_000)
        #expect(outcomes.allSatisfy { $0 > 0 }, "values, incomplete input and errors were all reached: \(outcomes)")
    }

    @Test func commandsAreArraysOfBulkStrings() throws {
        var b = ByteBuffer()
        RESPParser.encode(["SET", "{tenant-42}:k", "välue"], into: &b)
        #expect(b.getString(at: 0, length: b.readableBytes) == "*3\r\n$3\r\nSET\r\n$13\r\n{tenant-42}:k\r\n$6\r\nvälue\r\n")
        #expect(try RESPParser().parse(&b)?.elements?.compactMap(\.text) == ["SET", "{tenant-42}:k", "välue"])
    }
}
