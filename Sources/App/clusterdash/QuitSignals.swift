import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Signals that end the dashboard: SIGINT, SIGTERM, SIGHUP, SIGQUIT (whose
/// default would dump core and leave the terminal raw). They only set a
/// flag; the curses thread sees it and restores the terminal.
final class QuitSignals: @unchecked Sendable {
    // @unchecked: `sources` is written once, by `install`, before any thread
    // reads `raised` (an atomic).
    let raised = Atomic<Int32>(0)
    private var sources: [any DispatchSourceSignal] = []

    func install() {
        var made: [any DispatchSourceSignal] = []
        for sig in [SIGINT, SIGTERM, SIGHUP, SIGQUIT] {
            _ = Glibc.signal(sig, SIG_IGN)
            let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            s.setEventHandler { [self] in self.raised.store(sig, ordering: .relaxed) }
            s.resume()
            made.append(s)
        }
        sources = made
    }

    var received: Int32 { raised.load(ordering: .relaxed) }
}
