import Foundation
import Logging
import Synchronization

/// A swift-log handler that appends lines to a file: while the screen is
/// live nothing may print to stdout or stderr.
struct FileLogHandler: LogHandler {
    final class Sink: Sendable {
        let handle: Mutex<FileHandle?>
        init(path: String) {
            let dir = (path as NSString).deletingLastPathComponent
            try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
            let h = FileHandle(forWritingAtPath: path)
            h?.seekToEndOfFile()
            handle = Mutex(h)
        }
        func write(_ line: String) {
            handle.withLock { $0?.write(Data(line.utf8)) }
        }
    }

    let label: String
    let sink: Sink
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let ts = ISO8601DateFormatter().string(from: Date())
        let meta = (metadata.merging(event.metadata ?? [:]) { _, n in n }).map { "\($0)=\($1)" }.sorted().joined(separator: " ")
        sink.write("\(ts) \(event.level) \(label): \(event.message)\(meta.isEmpty ? "" : " \(meta)")\n")
    }
}

/// `$XDG_STATE_HOME/clusterdash/` (default `~/.local/state/clusterdash/`).
func stateDirectory() -> String {
    let env = ProcessInfo.processInfo.environment
    if let x = env["XDG_STATE_HOME"], !x.isEmpty { return x + "/clusterdash" }
    return (env["HOME"] ?? NSTemporaryDirectory()) + "/.local/state/clusterdash"
}

/// `$XDG_CONFIG_HOME/clusterdash/` (default `~/.config/clusterdash/`).
func configDirectory() -> String {
    let env = ProcessInfo.processInfo.environment
    if let x = env["XDG_CONFIG_HOME"], !x.isEmpty { return x + "/clusterdash" }
    return (env["HOME"] ?? NSTemporaryDirectory()) + "/.config/clusterdash"
}

func makeFileLogger(path: String, level: Logger.Level = .info) -> Logger {
    let sink = FileLogHandler.Sink(path: path)
    var logger = Logger(label: "clusterdash") { label in FileLogHandler(label: label, sink: sink) }
    logger.logLevel = level
    return logger
}
