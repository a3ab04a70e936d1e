import CHeap
import DashboardRuntime
import Foundation
import NcursesBackend
import RenderCore

/// Runs the dashboard on a thread of its own, the one thread that calls
/// curses, and returns when it ends (the terminal given back).
func runDashboard(_ setup: RuntimeSetup, colorMode: ColorMode, ascii: Bool) async {
    // Large buffers straight from mmap, so a burst's memory goes back when
    // it is freed (a wall display runs for weeks).
    cd_heap_configure()
    await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
        let thread = Thread {
            let backend = NcursesBackend(theme: setup.theme, colorMode: colorMode)
            DashboardRuntime(backend: backend, ascii: ascii, setup: setup).loop()
            done.resume()
        }
        thread.name = "clusterdash-ui"
        thread.start()
    }
}
