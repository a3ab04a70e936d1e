import Dashboard
import EventSources
import Foundation

/// Performing what `update` returned, for the dashboard shown or for a
/// fleet cluster in the background. A result comes back to the same model
/// as a message, through `dispatch`.
extension DashboardRuntime {
    /// True when the dashboard ends (only the shown dashboard's `q` ends it).
    func perform(_ effects: [Effect], for target: Target) -> Bool {
        for effect in effects {
            switch effect {
            case .quit:
                guard target == .shown else {
                    logger.error("a cluster in the background asked to quit: ignored")
                    continue
                }
                return true
            case .send(let op):
                guard let sink = commandSink(for: target) else {
                    // update() never asks in read-only mode; if it did, nothing leaves.
                    logger.error("command \(op.op) refused: read-only")
                    continue
                }
                logger.info("command \(op.op) \(op.requestID ?? "")")
                if !sink.send(op), let id = op.requestID, dispatch(.sendFailed(requestID: id), to: target) { return true }
            case .requestSnapshot(let endpoint):
                guard let s = eventSource(for: target) else { continue }
                logger.info("snapshot requested from endpoint \(endpoint)\(target.suffix)")
                s.requestSnapshot(from: endpoint)
            case .exportBundle:
                guard let m = model(for: target) else { continue }
                let result: EffectResult
                do {
                    result = .bundleWritten(path: try writeBundle(m))
                } catch {
                    logger.error("incident bundle: \(error)")
                    result = .bundleFailed(reason: "\(error)")
                }
                if dispatch(.effectResult(result), to: target) { return true }
            case .audit(let record):
                let cluster = model(for: target).flatMap { $0.clusterLabel ?? $0.state.clusterName }
                if let failure = appendAudit(record, cluster: cluster), dispatch(.effectResult(.auditFailed(reason: failure)), to: target) {
                    return true
                }
            case .replay(let control):
                guard let replay else { continue }
                switch control {
                case .togglePause: replay.togglePause()
                case .faster: replay.setSpeed(replay.speed * 2)
                case .slower: replay.setSpeed(replay.speed / 2)
                case .step: replay.step()
                }
                if dispatch(.effectResult(.replayStatus(replay.badge)), to: target) { return true }
            case .selectTheme(let name):
                do {
                    terminal.backend.setTheme(try loadTheme(name))
                    terminal.invalidate()
                } catch {
                    logger.warning("theme \(name): \(error)")
                    if dispatch(.effectResult(.themeFailed(name: name, reason: "\(error)")), to: target) { return true }
                }
            }
        }
        return false
    }

    private func eventSource(for target: Target) -> (any EventSource)? {
        switch target {
        case .shown: source
        case .background(let name): fleet?.sources[name]
        }
    }

    private func commandSink(for target: Target) -> (any CommandSink)? {
        switch target {
        case .shown: return commands
        case .background(let name):
            guard let fleet, !fleet.readOnly else { return nil }
            return fleet.sources[name] as? any CommandSink
        }
    }

    private func model(for target: Target) -> AppModel? {
        switch target {
        case .shown: model
        case .background(let name): fleet?.model.models[name]
        }
    }

    /// Writes `incident.md` and `events.jsonl` into a new folder; returns its path.
    private func writeBundle(_ model: AppModel) throws -> String {
        let stamp = model.now.rfc3339.replacingOccurrences(of: ":", with: "").replacingOccurrences(of: "-", with: "").prefix(15)
        var dir = stateDirectory + "/incidents/incident-\(stamp)"
        var n = 1
        while FileManager.default.fileExists(atPath: dir) {
            n += 1
            dir = stateDirectory + "/incidents/incident-\(stamp)-\(n)"
        }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try IncidentBundle.markdown(model).write(toFile: dir + "/incident.md", atomically: true, encoding: .utf8)
        try IncidentBundle.eventsJSONL(model).write(toFile: dir + "/events.jsonl", atomically: true, encoding: .utf8)
        logger.notice("incident bundle written to \(dir)")
        return dir
    }

    /// Appends one line to `audit.jsonl` in the state directory; a failure
    /// is logged and comes back to be shown (never dropped).
    private func appendAudit(_ record: AuditRecord, cluster: String?) -> String? {
        let path = stateDirectory + "/audit.jsonl"
        do {
            try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true)
            if !FileManager.default.fileExists(atPath: path), !FileManager.default.createFile(atPath: path, contents: nil) {
                throw RuntimeFileError("cannot create \(path)")
            }
            guard let h = FileHandle(forWritingAtPath: path) else { throw RuntimeFileError("cannot open \(path) for writing") }
            defer { try? h.close() }
            try h.seekToEnd()
            try h.write(contentsOf: Data((record.jsonLine(cluster: cluster) + "\n").utf8))
            return nil
        } catch {
            logger.error("audit: \(path): \(error)")
            return "\(path): \(error)"
        }
    }
}

extension DashboardRuntime.Target {
    /// " (cluster NAME)" for a fleet cluster in the background, for the log.
    var suffix: String {
        switch self {
        case .shown: ""
        case .background(let name): " (cluster \(name))"
        }
    }
}

/// A file the runtime writes could not be made or opened.
struct RuntimeFileError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
