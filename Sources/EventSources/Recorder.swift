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

    /// Appends one line. Line breaks in the frame (only ever white space
    /// between JSON tokens: inside strings they are escaped) become spaces.
    public func record(text: String, endpoint: Int, at: Timestamp) {
        var frame = text
        if frame.contains(where: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) {
            frame = String(frame.map { $0 == "\n" || $0 == "\r" || $0 == "\r\n" ? " " : $0 })
        }
        let line = "{\"at\":\"\(at.rfc3339)\",\"endpoint\":\(endpoint),\"frame\":\(frame)}\n"
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
