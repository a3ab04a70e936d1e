import ClusterProtocol
import ClusterdashTesting
import Foundation
import Testing

private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

@Suite struct FixtureRoundTripTests {
    @Test func everyEventTypeHasAFixture() throws {
        let names = Set(try Fixtures.jsonFiles(in: fixtures.appendingPathComponent("events")).map(\.name))
        for type in Event.knownTypes + Event.extensionTypes {
            #expect(names.contains(type), "no fixture for \(type)")
        }
        #expect(Event.knownTypes.count == 25)
    }

    @Test func everyOpHasAFixture() throws {
        let names = Set(try Fixtures.jsonFiles(in: fixtures.appendingPathComponent("ops")).map(\.name))
        #expect(names == ["subscribe", "snapshot", "promote", "migrate", "cancel_migration", "step_down"])
    }

    @Test(arguments: Event.knownTypes + Event.extensionTypes + ["_unknown.tenant.quota_changed"])
    func eventFixtureRoundTrips(name: String) throws {
        let bytes = try [UInt8](Data(contentsOf: fixtures.appendingPathComponent("events/\(name).json")))
        let decoded = try EnvelopeCodec.decode(bytes)
        if name.hasPrefix("_unknown.") {
            guard case .unknown(let type, _) = decoded.event else {
                Issue.record("expected unknown event, got \(decoded.type)")
                return
            }
            #expect(type == "tenant.quota_changed")
        } else {
            #expect(decoded.type == name)
            if case .unknown = decoded.event { Issue.record("\(name) decoded as unknown") }
        }
        // Typed round trip: encode, decode, same value.
        let encoded = EnvelopeCodec.encode(decoded)
        let again = try EnvelopeCodec.decode(encoded)
        #expect(again == decoded)
        // Lossless on the wire: the encoding holds every field of the fixture, with the same values.
        let original = try JSONParser.parse(bytes)
        let reencoded = try JSONParser.parse(encoded)
        #expect(Fixtures.sameJSON(original, reencoded), "re-encoded \(name) differs:\n\(JSONWriter.string(reencoded))")
    }

    @Test(arguments: ["subscribe", "snapshot", "promote", "migrate", "cancel_migration", "step_down"])
    func opFixtureRoundTrips(name: String) throws {
        let text = try String(contentsOf: fixtures.appendingPathComponent("ops/\(name).json"), encoding: .utf8)
        let op = try ClientOpCodec.decode(text)
        #expect(op.op == name)
        let encoded = ClientOpCodec.encode(op)
        #expect(try ClientOpCodec.decode(encoded) == op)
        #expect(Fixtures.sameJSON(try JSONParser.parse(text), try JSONParser.parse(encoded)))
    }

    @Test func fixtureValuesAreTyped() throws {
        let bytes = try [UInt8](Data(contentsOf: fixtures.appendingPathComponent("events/replication.lag.json")))
        let e = try EnvelopeCodec.decode(bytes)
        #expect(e.id == "7d0c6f5e-3c9b-4c43-9a51-8f0e1b2a4c11")
        #expect(e.source == "node-2")
        #expect(e.seq == 1042)
        #expect(e.timestamp.rfc3339 == "2026-11-23T13:00:00.123Z")
        #expect(e.correlationID == nil)
        #expect(
            e.event
                == .replicationLag(
                    ReplicationLag(follower: "node-2", leader: "node-1", lagMillis: 1250, lagEntries: 310, walPosition: 88231)))

        let snap = try EnvelopeCodec.decode(
            [UInt8](Data(contentsOf: fixtures.appendingPathComponent("events/cluster.snapshot.json"))))
        guard case .snapshot(let s) = snap.event else {
            Issue.record("not a snapshot")
            return
        }
        #expect(s.nodes.map(\.role) == [.primary, .replica, .replica])
        #expect(s.nodes[2].health == .suspect)
        #expect(s.assignment?.partitions[1].weight == 2.5)
        #expect(s.seqs == ["node-1": 41, "node-2": 877, "node-3": 310])
        #expect(s.migrations.first?.phase == .drainingWAL)
    }
}
