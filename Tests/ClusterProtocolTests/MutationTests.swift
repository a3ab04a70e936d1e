import ClusterProtocol
import ClusterdashTesting
import Foundation
import Testing

private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

/// Thousands of damaged frames: every one must decode or fail with a
/// `ProtocolError`, never crash (a crash would end this test process).
@Suite struct MutationTests {
    @Test func mutatedEventFramesNeverCrash() throws {
        let frames = try Fixtures.jsonFiles(in: fixtures.appendingPathComponent("events")).map(\.bytes)
        var mutator = FrameMutator(seed: 0xC1A5_7E4D)
        var decoded = 0
        var rejected: [ProtocolError.Kind: Int] = [:]
        var strategies: Set<String> = []
        let rounds = 6_000
        for i in 0..<rounds {
            // Mutate a fresh fixture, sometimes twice over.
            var (name, bytes) = mutator.mutate(frames[i % frames.count])
            if i % 3 == 0 { (_, bytes) = mutator.mutate(bytes) }
            strategies.insert(name)
            do {
                let e = try EnvelopeCodec.decode(bytes)
                decoded += 1
                // Whatever decoded must encode and decode to the same value.
                #expect(try EnvelopeCodec.decode(EnvelopeCodec.encode(e)) == e)
            } catch {
                rejected[error.kind, default: 0] += 1
                #expect(!error.message.isEmpty)
            }
        }
        #expect(decoded + rejected.values.reduce(0, +) == rounds)
        #expect(strategies.count == FrameMutator.strategies.count)
        // The mutations must really damage frames, and some must survive
        // (bit flips in string values): both paths are exercised.
        #expect((rejected[.notJSON] ?? 0) > rounds / 4)
        #expect(decoded > 50)
        #expect(rejected.keys.count >= 3, "rejection kinds seen: \(rejected)")
    }

    @Test func mutatedClientFramesNeverCrash() throws {
        let frames = try Fixtures.jsonFiles(in: fixtures.appendingPathComponent("ops")).map(\.bytes)
        var mutator = FrameMutator(seed: 42)
        var outcomes = 0
        for i in 0..<3_000 {
            let (_, bytes) = mutator.mutate(frames[i % frames.count])
            let text = String(decoding: bytes, as: UTF8.self)
            do {
                _ = try ClientOpCodec.decode(text)
            } catch {
                #expect(!error.description.isEmpty)
            }
            outcomes += 1
        }
        #expect(outcomes == 3_000)
    }

    @Test func randomBytesNeverCrash() {
        var rng = SplitMix64(seed: 7)
        for _ in 0..<2_000 {
            let n = Int(rng.next() % 300)
            let bytes = (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            #expect(throws: ProtocolError.self) { try EnvelopeCodec.decode(bytes) }
        }
    }
}
