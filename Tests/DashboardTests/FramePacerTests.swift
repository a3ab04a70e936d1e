import Dashboard
import Testing

@Suite struct FramePacerTests {
    let t0 = ContinuousClock.now

    func at(_ ms: Int) -> ContinuousClock.Instant { t0.advanced(by: .milliseconds(ms)) }

    /// Which of `wakeUps` (ms) get a frame.
    func frames(_ pacer: inout FramePacer, _ wakeUps: [Int]) -> [Int] {
        wakeUps.filter { pacer.due(at: at($0)) }
    }

    @Test func framesFallOnAFixedGridWhateverTheWakeUps() {
        var pacer = FramePacer(interval: .milliseconds(33), start: t0)
        // A loop that wakes every 30 ms (input timeouts) and on odd moments (keys).
        let got = frames(&pacer, [0, 5, 30, 33, 40, 60, 66, 90, 98, 99, 120, 131, 132])
        #expect(got == [0, 33, 66, 99, 132])
    }

    @Test func theWaitReachesTheNextDeadlineExactly() {
        var pacer = FramePacer(interval: .milliseconds(33), start: t0)
        #expect(pacer.millisUntilDue(at: at(0)) == 0)
        #expect(frames(&pacer, [0]) == [0])
        #expect(pacer.millisUntilDue(at: at(0)) == 33)
        #expect(pacer.millisUntilDue(at: at(20)) == 13)
        #expect(pacer.millisUntilDue(at: t0.advanced(by: .microseconds(32_500))) == 1)
        #expect(pacer.millisUntilDue(at: at(33)) == 0)
        #expect(pacer.millisUntilDue(at: at(50)) == 0)
    }

    @Test func aStallGivesOneFrameThenANewGrid() {
        var pacer = FramePacer(interval: .milliseconds(33), start: t0)
        // 167 ms late at 200: one frame then, not five to catch up; the grid restarts at 200.
        let got = frames(&pacer, [0, 200, 201, 232, 233, 265, 266])
        #expect(got == [0, 200, 233, 266])
    }
}
