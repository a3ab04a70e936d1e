import AsyncHTTPClient
import ClusterProtocol
import EngineHTTP
import EventSources
import NIOCore

extension PatroniSource {
    /// Watches every key under `/service/<scope>/` through etcd's HTTP
    /// gateway and polls at once when one changes: a new leader reaches the
    /// screen one `/cluster` call after the key changes, not a poll interval
    /// later. A `failover` key names a switchover under way (its cause).
    /// Reconnects with a capped backoff; meanwhile polling carries on alone.
    func watchLoop(endpoint i: Int, url: String) async {
        var backoffMillis: Int64 = 250
        while !Task.isCancelled {
            guard let scope = shared.withLock({ $0.scope }) else {
                // The scope comes from the first member that answers.
                do { try await Task.sleep(for: .milliseconds(100)) } catch { return }
                continue
            }
            let prefix = config.namespace + scope + "/"
            do {
                var req = HTTPClientRequest(url: url + "/v3/watch")
                req.method = .POST
                req.headers.add(name: "Content-Type", value: "application/json")
                req.body = .bytes(ByteBuffer(string: EtcdWatchParse.request(prefix: prefix)))
                let response = try await watchClient.execute(req, timeout: .hours(24))
                guard response.status.code == 200 else {
                    throw HTTPFailure.status(Int(response.status.code), "")
                }
                var lines = WatchLineBuffer()
                for try await chunk in response.body {
                    for line in lines.append(chunk.readableBytesView) {
                        let message: EtcdWatchParse.Message
                        do throws(PatroniParseError) {
                            message = try EtcdWatchParse.message(line)
                        } catch {
                            shared.withLock { $0.endpoints.garbage(i) }
                            continue
                        }
                        switch message {
                        case .created:
                            markLive(i)
                            setWatch(true)
                            backoffMillis = 250
                            wake()
                        case .events(let events):
                            markLive(i)
                            handle(events, prefix: prefix)
                        case .failed(let why):
                            throw HTTPFailure.garbage("etcd: \(why)")
                        }
                    }
                }
                throw HTTPFailure.transport("watch ended by etcd")
            } catch {
                if Task.isCancelled { return }
                setWatch(false)
                markFailed(i, HTTPFailure.words(error), retryInMillis: backoffMillis)
                do { try await Task.sleep(for: .milliseconds(backoffMillis)) } catch { return }
                backoffMillis = min(backoffMillis * 2, 5_000)
            }
        }
    }

    func setWatch(_ live: Bool) {
        let changed = shared.withLock { s -> Bool in
            defer { s.watchLive = live }
            return s.watchLive != live
        }
        if changed {
            logger.info("etcd watch \(live ? "running: changes are pushed" : "down: polling only")")
            wake()
        }
    }

    func handle(_ events: [EtcdKeyEvent], prefix: String) {
        let now = clock()
        for e in events where e.key == prefix + "failover" && e.kind == .put {
            // {"leader":"pg2","member":"pg1"} while a switchover runs; {} after.
            guard case .object(let o)? = try? JSONParser.parse(Array(e.value.utf8)), !o.fields.isEmpty else { continue }
            let from = o["leader"]?.stringValue
            let to = o["member"]?.stringValue
            let scheduled = o["scheduled_at"] != nil
            guard !scheduled else { continue }
            shared.withLock { s in
                if s.causeHint == nil {
                    let text = "switchover \(from ?? "?") -> \(to ?? "any replica") (Patroni's failover key)"
                    s.causeHint = (text, now.adding(millis: 60_000))
                }
            }
        }
        if !events.isEmpty { wake() }
    }
}
