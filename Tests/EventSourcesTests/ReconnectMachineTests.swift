import ClusterProtocol
import ClusterState
import ClusterdashTesting
import EventSources
import Foundation
import Testing

@Suite struct ReconnectMachineTests {
    @Test func backoffDoublesToTheCapWithFullJitter() {
        var m = ReconnectMachine()
        #expect(m.connecting() == .connect)
        #expect(m.status == .connecting(attempt: 1))
        var now = t0
        var ceilings: [Int64] = []
        for n in 1...10 {
            let action = m.disconnected(now: now, reason: .closed("refused"))
            guard case .wait(let until) = action else {
                Issue.record("expected a wait")
                return
            }
            let delay = until.millis(since: now)
            let ceiling = m.ceilingMillis(retry: n)
            ceilings.append(ceiling)
            #expect(delay >= 0 && delay <= ceiling, "retry \(n): \(delay) ms over \(ceiling)")
            #expect(m.status == .backingOff(until: until, attempt: n, reason: "refused"))
            now = until
            #expect(m.retryDue(now: now) == .connect)
            #expect(m.status == .connecting(attempt: n + 1, lastError: "refused"))
        }
        #expect(ceilings == [250, 500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000])
    }

    @Test func jitterIsSpreadNotConstant() {
        var m = ReconnectMachine(seed: 42)
        var delays: Set<Int64> = []
        for _ in 0..<20 {
            _ = m.connecting()
            m.connected(now: t0)
            // Connected only briefly: the count keeps growing, to the cap.
            if case .wait(let until) = m.disconnected(now: t0.adding(millis: 10), reason: .closed("x")) {
                delays.insert(until.millis(since: t0))
            }
        }
        #expect(delays.count > 10)
    }

    @Test func aHealthyMinuteResetsTheCount() {
        var m = ReconnectMachine()
        for _ in 0..<6 { _ = m.disconnected(now: t0, reason: .closed("x")) }
        #expect(m.failures == 6)
        _ = m.connecting()
        m.connected(now: t0)
        m.heard(now: t0.adding(millis: 61_000))
        #expect(m.failures == 0)
        guard case .wait(let until) = m.disconnected(now: t0.adding(millis: 61_500), reason: .closed("x")) else {
            Issue.record("expected a wait")
            return
        }
        #expect(until.millis(since: t0.adding(millis: 61_500)) <= 250)
    }

    /// Found when tried as a new user would: after several restarts in a row
    /// the retries got slower each time (the count reset only after 60 s), so
    /// the dashboard could stay blind for 30 s after its server was back.
    @Test func aRestartAfterAnAnsweredSubscriptionRetriesQuicklyEveryTime() {
        var m = ReconnectMachine(seed: 9)
        var now = t0
        for restart in 1...20 {
            _ = m.connecting()
            m.connected(now: now)
            m.subscribed(now: now.adding(millis: 5))
            now = now.adding(millis: 1_500)
            // The server goes away and refuses for 10 s before it accepts again.
            var down = now
            _ = m.disconnected(now: now, reason: .closed("closed by the server"))
            #expect(m.failures == 1, "restart \(restart): the count starts again")
            while down.millis(since: now) < 10_000 {
                guard case .backingOff(let until, _, _) = m.status else {
                    Issue.record("expected a backoff")
                    return
                }
                #expect(until.millis(since: down) <= 2_000, "restart \(restart): a retry waits at most 2 s")
                down = until
                _ = m.retryDue(now: down)
                _ = m.disconnected(now: down, reason: .closed("connection refused"))
            }
            now = down
        }
    }

    /// Found by a restarting server (issue 23): killed about a second after
    /// each reconnect and started again at once, 30 times; a connection
    /// shorter than the settle time counted as a failure, so the backoff
    /// climbed to 30 s while the server was up (p50 16.8 s, max 28.9 s).
    @Test func quickRestartsRetryWithinTwoSecondsEveryTime() {
        var m = ReconnectMachine(seed: 11)
        var now = t0
        var rng = SplitMix64(seed: 5)
        var waits: [Int64] = []
        for _ in 1...30 {
            _ = m.connecting()
            m.connected(now: now)
            m.subscribed(now: now.adding(millis: 10))
            // Killed 0.6-1 s after the reconnect (never a healthy second),
            // accepting again at once.
            now = now.adding(millis: 600 + Int64(rng.next() % 390))
            guard case .wait(let until) = m.disconnected(now: now, reason: .closed("closed by the server")) else {
                Issue.record("expected a wait")
                return
            }
            waits.append(until.millis(since: now))
            now = until
            _ = m.retryDue(now: now)
        }
        #expect(waits.allSatisfy { $0 <= 2_000 }, "\(waits)")
        #expect(waits.sorted()[waits.count / 2] <= 2_000)
    }

    @Test func aServerThatDropsAtOnceSeesABoundedNumberOfAttempts() {
        for answersFirst in [false, true] {
            var m = ReconnectMachine(seed: 3)
            var now = t0
            var attempts = 0
            while now.millis(since: t0) < 60_000 {
                _ = m.connecting()
                attempts += 1
                m.connected(now: now)
                if answersFirst { m.subscribed(now: now.adding(millis: 2)) }
                guard case .wait(let until) = m.disconnected(now: now.adding(millis: 10), reason: .closed("closed by the server")) else {
                    Issue.record("expected a wait")
                    return
                }
                now = until
            }
            // Waits of at least 0, 0.25, 0.5, 1, 2, 4, 8, 15, 15 s: ten at the most, however the jitter falls.
            #expect(attempts <= 10, "\(attempts) attempts in a minute (answering first: \(answersFirst))")
        }
    }

    @Test func aLongOutageBacksOffToTheCapAfterTheRestartWindow() {
        var m = ReconnectMachine()
        _ = m.connecting()
        m.connected(now: t0)
        m.subscribed(now: t0)
        _ = m.disconnected(now: t0.adding(millis: 5_000), reason: .closed("closed by the server"))
        for _ in 0..<10 { _ = m.disconnected(now: t0.adding(millis: 30_000), reason: .closed("connection refused")) }
        #expect(m.ceilingMillis(retry: m.failures, now: t0.adding(millis: 30_000)) == 2_000)
        #expect(m.ceilingMillis(retry: m.failures, now: t0.adding(millis: 70_000)) == 30_000)
        #expect(m.status.label == "backing off")
        #expect(m.lastError == "connection refused")
        _ = m.connecting()
        #expect(m.status == .connecting(attempt: m.failures + 1, lastError: "connection refused"))
    }

    @Test func unauthorizedRetriesSlowly() {
        var m = ReconnectMachine()
        let action = m.disconnected(now: t0, reason: .unauthorized)
        #expect(action == .wait(until: t0.adding(millis: 30_000)))
        #expect(m.status == .unauthorized(retryAt: t0.adding(millis: 30_000)))
        #expect(m.status.label == "unauthorized")
    }

    @Test func silenceMakesALiveConnectionStale() {
        var m = ReconnectMachine()
        _ = m.connecting()
        m.connected(now: t0)
        m.heard(now: t0.adding(millis: 5_000))
        #expect(m.tick(now: t0.adding(millis: 34_000)) == .nothing)
        #expect(m.status == .live(since: t0, lastFrameAt: t0.adding(millis: 5_000)))
        #expect(m.tick(now: t0.adding(millis: 35_000)) == .dropStale)
        #expect(m.status == .stale(lastFrameAt: t0.adding(millis: 5_000)))
    }

    @Test func fatalGivesUp() {
        var m = ReconnectMachine()
        #expect(m.disconnected(now: t0, reason: .fatal("invalid URL")) == .giveUp)
        #expect(m.status == .failed(reason: "invalid URL"))
    }
}
