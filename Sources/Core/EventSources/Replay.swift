import ClusterProtocol
import Foundation

/// One recorded envelope with the time it was received.
public struct RecordedEvent: Sendable {
    public var at: Timestamp
    public var endpoint: Int
    public var envelope: Envelope
}

/// A recording read back: the events in order, and what could not be read.
/// One bad line never costs the others: a recording cut by a crash (a torn
/// last line, a half-written UTF-8 sequence) is the normal case after an
/// incident, so every valid line is kept and every bad one is reported by
/// its line number.
public struct Recording: Sendable {
    /// One line that was not a recorded envelope.
    public struct BadLine: Sendable, Hashable {
        public var line: Int
        public var reason: String
    }

    public var events: [RecordedEvent]
    /// How many lines were not a recorded envelope (counted, skipped, never fatal).
    public var malformedLines: Int
    /// The first `badLineLimit` of them, in file order.
    public var badLines: [BadLine]
    public static let badLineLimit = 100

    public var firstError: String? { badLines.first.map { "line \($0.line): \($0.reason)" } }

    public var start: Timestamp? { events.first?.at }
    public var end: Timestamp? { events.last?.at }

    /// "3 bad lines skipped: 17, 204, 205" (nil when every line was good).
    public var badLinesSummary: String? {
        guard malformedLines > 0 else { return nil }
        var numbers = badLines.prefix(10).map { String($0.line) }.joined(separator: ", ")
        if malformedLines > 10 { numbers += ", …" }
        return "\(malformedLines) bad line\(malformedLines == 1 ? "" : "s") skipped: \(numbers)"
    }

    /// Parses a recording. Lines may be recorder lines (`{"at":…,"frame":{…}}`)
    /// or bare envelopes (then the envelope's own `ts` is the time).
    public static func parse(_ text: String) -> Recording {
        parse(bytes: Array(text.utf8))
    }

    /// Parses raw bytes line by line: a line that is not UTF-8 is bad on its own.
    public static func parse(bytes: [UInt8]) -> Recording {
        var events: [RecordedEvent] = []
        var bad: [BadLine] = []
        var malformed = 0
        var lineNumber = 0
        var lineStart = bytes.startIndex
        func reject(_ reason: String) {
            malformed += 1
            if bad.count < badLineLimit { bad.append(BadLine(line: lineNumber, reason: reason)) }
        }
        while lineStart < bytes.endIndex {
            let lineEnd = bytes[lineStart...].firstIndex(of: 0x0A) ?? bytes.endIndex
            lineNumber += 1
            let slice = bytes[lineStart..<lineEnd]
            lineStart = lineEnd < bytes.endIndex ? lineEnd + 1 : lineEnd
            guard let line = String(validating: slice, as: UTF8.self) else {
                reject("not UTF-8 text")
                continue
            }
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty { continue }
            do {
                let value = try JSONParser.parse(trimmed)
                guard case .object(let o) = value else { throw ProtocolError(.notAnObject, "not an object") }
                if let frame = o["frame"] {
                    let envelope = try EnvelopeCodec.decode(frame)
                    let at = o["at"]?.stringValue.flatMap { Timestamp(rfc3339: $0) } ?? envelope.timestamp
                    var endpoint = 0
                    if case .int(let n) = o["endpoint"] { endpoint = Int(clamping: n) }
                    events.append(RecordedEvent(at: at, endpoint: endpoint, envelope: envelope))
                } else {
                    let envelope = try EnvelopeCodec.decode(value)
                    events.append(RecordedEvent(at: envelope.timestamp, endpoint: 0, envelope: envelope))
                }
            } catch {
                reject("\(error)")
            }
        }
        // Receive times only grow in a recording; keep the order stable anyway.
        if zip(events, events.dropFirst()).contains(where: { $0.at > $1.at }) {
            events = events.enumerated().sorted { a, b in a.element.at != b.element.at ? a.element.at < b.element.at : a.offset < b.offset }.map(
                \.element)
        }
        return Recording(events: events, malformedLines: malformed, badLines: bad)
    }

    /// Reads the file as bytes (never as one UTF-8 string: one torn character
    /// must not refuse the whole file).
    public static func load(path: String) throws -> Recording {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw RecordingError(path: path, reason: (error as NSError).localizedFailureReason ?? "cannot be read")
        }
        return parse(bytes: [UInt8](data))
    }
}

/// A recording that could not be opened at all (missing, unreadable).
public struct RecordingError: Error, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var description: String { "\(path): \(reason)" }
}

/// Plays a recording on an injected clock: pause, step, seek, speed. A value:
/// the caller says how much wall time passed and gets the events now due.
public struct ReplayCursor: Sendable {
    public let recording: Recording
    /// Index of the next event to play.
    public private(set) var next = 0
    /// The recording's time shown now.
    public private(set) var playhead: Timestamp
    public private(set) var speed: Double = 1
    public private(set) var paused = false

    public init(recording: Recording, speed: Double = 1) {
        self.recording = recording
        self.playhead = recording.start ?? Timestamp(millis: 0)
        self.speed = ReplayCursor.clampSpeed(speed)
    }

    public var finished: Bool { next >= recording.events.count }

    static func clampSpeed(_ s: Double) -> Double { s.isFinite ? min(1_000, max(0.01, s)) : 1 }

    public mutating func setSpeed(_ s: Double) { speed = ReplayCursor.clampSpeed(s) }
    public mutating func pause() { paused = true }
    public mutating func resume() { paused = false }

    /// `wallMillis` of real time passed: the events now due at the current speed.
    public mutating func advance(wallMillis: Int64) -> [Envelope] {
        guard !paused, wallMillis > 0 else { return [] }
        playhead = playhead.adding(millis: Int64((Double(wallMillis) * speed).rounded()))
        return playDue()
    }

    /// Plays everything left at once (`--speed 0` in the command line).
    public mutating func playAll() -> [Envelope] {
        defer {
            next = recording.events.count
            if let end = recording.end { playhead = end }
        }
        return recording.events[next...].map(\.envelope)
    }

    /// The next single event, whatever its time (stepping while paused).
    public mutating func step() -> Envelope? {
        guard next < recording.events.count else { return nil }
        let e = recording.events[next]
        next += 1
        playhead = max(playhead, e.at)
        return e.envelope
    }

    /// Moves the playhead to `t`. Forward: the events up to `t`. Backward:
    /// `reset` is true and the events are everything from the start up to `t`,
    /// to be applied to a fresh state (the state at `t` is exactly the events
    /// up to `t`).
    public mutating func seek(to t: Timestamp) -> (reset: Bool, events: [Envelope]) {
        if t < playhead {
            next = 0
            playhead = t
            return (true, playDue())
        }
        playhead = t
        return (false, playDue())
    }

    private mutating func playDue() -> [Envelope] {
        var out: [Envelope] = []
        while next < recording.events.count, recording.events[next].at <= playhead {
            out.append(recording.events[next].envelope)
            next += 1
        }
        return out
    }
}
