import ClusterProtocol
import Foundation
import Synchronization

/// `--record FILE.jsonl`: every received envelope as one JSON line,
/// `{"at":"<receive time>","endpoint":N,"frame":{…the envelope as received…}}`,
/// flushed line by line so a crash loses at most the line being written. The
/// file feeds `clusterdash replay` and incident bundles.
public final class Recorder: Sendable {
    private let file: Mutex<FileHandle?>
    public let path: String

    public init(path: String) throws {
        self.path = path
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw RecorderError("cannot create \(path)")
            }
        }
        guard let handle = FileHandle(forWritingAtPath: path) else { throw RecorderError("cannot open \(path) for writing") }
        handle.seekToEndOfFile()
        file = Mutex(handle)
    }

    /// One recorder line: `{"at":…,"endpoint":N,"frame":{…}}` and a newline.
    /// Incident bundles write the same lines.
    public static func line(frame: String, endpoint: Int, at: Timestamp) -> String {
        "{\"at\":\"\(at.rfc3339)\",\"endpoint\":\(endpoint),\"frame\":\(frame)}\n"
    }

    /// Appends one raw frame. Line breaks in it (only ever white space
    /// between JSON tokens: inside strings they are escaped) become spaces.
    public func record(text: String, endpoint: Int, at: Timestamp) {
        var frame = text
        if frame.contains(where: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) {
            frame = String(frame.map { $0 == "\n" || $0 == "\r" || $0 == "\r\n" ? " " : $0 })
        }
        write(Recorder.line(frame: frame, endpoint: endpoint, at: at))
    }

    /// Appends one received envelope, as the contract encodes it (the
    /// encoder escapes every line break, so no scan is needed).
    public func record(_ r: Received) {
        write(Recorder.line(frame: EnvelopeCodec.encodeString(r.envelope), endpoint: r.endpoint, at: r.receivedAt))
    }

    private func write(_ line: String) {
        file.withLock { handle in
            guard let handle else { return }
            // An unbuffered write: the line reaches the OS now.
            handle.write(Data(line.utf8))
        }
    }

    public func close() {
        file.withLock { handle in
            try? handle?.close()
            handle = nil
        }
    }
}

public struct RecorderError: Error, CustomStringConvertible {
    public var description: String
    init(_ d: String) { description = d }
}

/// Any source, recorded: every envelope it delivers goes to the recorder as
/// it reaches the queue. The source itself knows nothing of recording.
public final class RecordedSource: EventSource {
    public let inner: any EventSource
    public let recorder: Recorder

    public init(_ inner: any EventSource, recorder: Recorder) {
        self.inner = inner
        self.recorder = recorder
    }

    public var queue: EnvelopeQueue { inner.queue }
    public var provides: SourceCapabilities { inner.provides }
    public var statuses: [EndpointStatus] { inner.statuses }
    public var endpointNames: [String] { inner.endpointNames }
    public var stats: [EndpointStats] { inner.stats }
    public var pollDriver: PollDriver? { inner.pollDriver }

    public func start() {
        let recorder = self.recorder
        inner.queue.tap { recorder.record($0) }
        inner.start()
    }

    public func stop() async {
        await inner.stop()
        recorder.close()
    }

    public func requestSnapshot(endpoint: Int) { inner.requestSnapshot(endpoint: endpoint) }
}
