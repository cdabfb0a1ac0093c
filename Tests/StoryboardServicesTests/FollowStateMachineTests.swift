import Foundation
import StoryboardCore
import Testing

@testable import StoryboardServices

@Suite("Follow state machine", .timeLimit(.minutes(1)))
struct FollowStateMachineTests {
    typealias Machine = FollowStateMachine

    static let t0 = ContinuousClock.now
    static let stamp = Timestamp(microseconds: 1_800_000_000_000_000)

    static func at(_ milliseconds: Int) -> ContinuousClock.Instant { t0 + .milliseconds(milliseconds) }

    static func configuration(socket: Bool) -> Machine.Configuration {
        Machine.Configuration(
            socket: socket, poll: .seconds(1), updateInterval: .milliseconds(250), stallTimeout: .seconds(10), heartbeat: .seconds(5))
    }

    /// A machine with its socket open and its prompt sent at `t0`, past its first look.
    static func following() -> Machine {
        var machine = Machine(now: t0, at: stamp)
        machine.opened()
        machine.expect(promptID: "p1", now: t0)
        #expect(machine.start(configuration(socket: true), now: t0) == .look)
        #expect(machine.historyPending(now: t0) == .wait(.seconds(1), wakeable: true))
        return machine
    }

    static func receive(_ machine: inout Machine, _ message: ComfyUIMessage, at milliseconds: Int) -> Bool {
        machine.receive(message, now: at(milliseconds), at: stamp)
    }

    @Test("with a socket the result is asked for before any wait: a quick prompt is not waited for")
    func firstLook() {
        var machine = Machine(now: Self.t0, at: Self.stamp)
        #expect(machine.start(Self.configuration(socket: true), now: Self.t0) == .look)
        #expect(machine.phase == .looking)
    }

    @Test("completed: progress is written as it comes, the end wakes the loop, which asks for the result at once")
    func completed() {
        var machine = Self.following()
        #expect(!Self.receive(&machine, .progress(value: 1, max: 4, node: "3", promptID: "p1"), at: 100))
        // A round per poll while the socket drives: the row is read, then the step written.
        #expect(machine.waited(now: Self.at(1000)) == .checkRow)
        guard case .write(let updates) = machine.rowChecked(held: true, now: Self.at(1000)) else {
            Issue.record("the step is due")
            return
        }
        #expect(updates.progress == Machine.Progress(value: 1, max: 4) && updates.preview == nil && updates.signAt == Self.stamp)
        #expect(machine.written(held: true, now: Self.at(1000)) == .wait(.seconds(1), wakeable: true), "the safety look is 10 s away")
        #expect(Self.receive(&machine, .progress(value: 4, max: 4, node: "3", promptID: "p1"), at: 1100) == false)
        #expect(Self.receive(&machine, .succeeded(promptID: "p1"), at: 1150), "the end wakes the loop")
        #expect(machine.ended)
        // The last step is not written on its own: it goes in with the result.
        #expect(machine.waited(now: Self.at(1200)) == .look)
        #expect(machine.due(now: Self.at(1200), interval: .milliseconds(250), final: true).progress == Machine.Progress(value: 4, max: 4))
    }

    @Test("the history not written yet: asked again at the next round, and at once when `executing` with no node follows")
    func historyNotYetWritten() {
        var machine = Self.following()
        #expect(Self.receive(&machine, .succeeded(promptID: "p1"), at: 100))
        #expect(machine.waited(now: Self.at(110)) == .look)
        // Over: no longer following, so the next wait is the short one.
        #expect(machine.historyPending(now: Self.at(120)) == .wait(.milliseconds(250), wakeable: true))
        #expect(Self.receive(&machine, .executing(node: nil, promptID: "p1"), at: 130), "written now: wake again")
        #expect(machine.waited(now: Self.at(140)) == .look)
        #expect(machine.historyPending(now: Self.at(1200)) == .wait(.milliseconds(250), wakeable: true))
        // Not following: the row is read every poll.
        #expect(machine.waited(now: Self.at(1450)) == .checkRow)
        #expect(machine.rowChecked(held: true, now: Self.at(1450)) == .look)
    }

    @Test("an error or an interruption ends the prompt: the result is asked for, and no announced file is fetched early")
    func errorAndInterrupted() {
        for ending in [ComfyUIMessage.failed(message: "OOM", promptID: "p1"), .interrupted(promptID: "p1")] {
            var machine = Self.following()
            #expect(!Self.receive(&machine, .executed(node: "9", output: ["images": []], promptID: "p1"), at: 50))
            #expect(Self.receive(&machine, ending, at: 100))
            #expect(machine.ended)
            #expect(machine.announcedOutputs.isEmpty)
            #expect(machine.waited(now: Self.at(110)) == .look)
        }
    }

    @Test("outputs announced by `executed` are handed out only once the prompt succeeded, for the history to confirm")
    func announcedThenConfirmed() {
        var machine = Self.following()
        let first: JSONValue = ["images": [["filename": "a.png", "subfolder": "", "type": "output"]]]
        let second: JSONValue = ["images": [["filename": "b.png", "subfolder": "", "type": "output"]]]
        #expect(!Self.receive(&machine, .executed(node: "9", output: first, promptID: "p1"), at: 10))
        #expect(!Self.receive(&machine, .executed(node: "12", output: second, promptID: "p1"), at: 20))
        #expect(!Self.receive(&machine, .executed(node: nil, output: second, promptID: "p1"), at: 25), "no node: nothing to file it under")
        #expect(machine.announcedOutputs.isEmpty, "not before the prompt is over")
        #expect(Self.receive(&machine, .executing(node: nil, promptID: "p1"), at: 30))
        #expect(machine.announcedOutputs == ["9": first, "12": second])
        #expect(machine.waited(now: Self.at(40)) == .look)
    }

    @Test("a stall: no sign for the stall timeout; queue broadcasts count until the prompt starts, not after")
    func stall() {
        var machine = Self.following()
        // Others' work ahead of ours: signs of life.
        #expect(!Self.receive(&machine, .status, at: 9000))
        #expect(machine.waited(now: Self.at(10500)) == .checkRow)
        #expect(machine.rowChecked(held: true, now: Self.at(10500)) == .look, "the safety look")
        #expect(machine.historyPending(now: Self.at(10500)) == .renewLease, "1.5 s since the broadcast; 10.5 s since a write")
        #expect(machine.leaseRenewed(now: Self.at(10500)) == .wait(.seconds(1), wakeable: true))
        #expect(!Self.receive(&machine, .started(promptID: "p1"), at: 11000))
        #expect(!Self.receive(&machine, .status, at: 20000), "ours runs: a broadcast is no sign of it")
        #expect(machine.waited(now: Self.at(21001)) == .checkRow)
        #expect(machine.rowChecked(held: true, now: Self.at(21001)) == .look)
        #expect(machine.historyPending(now: Self.at(21001)) == .stalled)
        #expect(machine.phase == .done)
    }

    @Test("a cancel is seen in the job row, or when a progress write finds the job no longer held")
    func cancelSeen() {
        var machine = Self.following()
        #expect(machine.waited(now: Self.at(1000)) == .checkRow)
        #expect(machine.rowChecked(held: false, now: Self.at(1000)) == .stop)
        #expect(machine.phase == .done)

        var writing = Self.following()
        #expect(!Self.receive(&writing, .progress(value: 1, max: 2, node: nil, promptID: "p1"), at: 10))
        #expect(
            writing.waited(now: Self.at(500)) == .write(Machine.Updates(progress: Machine.Progress(value: 1, max: 2), signAt: Self.stamp)))
        #expect(writing.written(held: false, now: Self.at(500)) == .stop)
    }

    @Test("progress and previews: at most once per interval each, the latest kept; the last preview of a finished prompt dropped")
    func rateLimited() {
        var machine = Machine(now: Self.t0, at: Self.stamp)
        let interval = Duration.milliseconds(250)
        #expect(!Self.receive(&machine, .progress(value: 1, max: 9, node: nil, promptID: nil), at: 0))
        #expect(!Self.receive(&machine, .preview(contentType: "image/png", bytes: Data([1]), promptID: nil), at: 0))
        let first = machine.due(now: Self.at(0), interval: interval)
        #expect(first.progress?.value == 1 && first.preview?.bytes == Data([1]))
        #expect(machine.due(now: Self.at(10), interval: interval).isEmpty, "nothing new")
        #expect(!Self.receive(&machine, .progress(value: 2, max: 9, node: nil, promptID: nil), at: 20))
        #expect(!Self.receive(&machine, .progress(value: 3, max: 9, node: nil, promptID: nil), at: 30))
        #expect(!Self.receive(&machine, .preview(contentType: "image/png", bytes: Data([2]), promptID: nil), at: 30))
        #expect(machine.due(now: Self.at(100), interval: interval).isEmpty, "within the interval")
        let second = machine.due(now: Self.at(250), interval: interval)
        #expect(second.progress?.value == 3 && second.preview?.bytes == Data([2]), "the latest of each")
        #expect(!Self.receive(&machine, .progress(value: 9, max: 9, node: nil, promptID: nil), at: 260))
        #expect(!Self.receive(&machine, .preview(contentType: "image/png", bytes: Data([3]), promptID: nil), at: 260))
        let last = machine.due(now: Self.at(270), interval: interval, final: true)
        #expect(last.progress?.value == 9 && last.preview == nil)
        var fresh = Machine(now: Self.t0, at: Self.stamp)
        let oversized = Data(count: Machine.maxPreviewBytes + 1)
        #expect(!Self.receive(&fresh, .preview(contentType: "image/png", bytes: oversized, promptID: nil), at: 600))
        #expect(fresh.due(now: Self.at(600), interval: interval).isEmpty, "too large to keep")
        #expect(fresh.lastSign == Self.t0, "and no sign of life")
    }

    @Test("once the prompt id is known, another prompt's messages are neither progress nor a sign of life")
    func otherPrompts() {
        var machine = Self.following()
        #expect(!Self.receive(&machine, .progress(value: 1, max: 2, node: nil, promptID: "p2"), at: 5000))
        #expect(!Self.receive(&machine, .succeeded(promptID: "p2"), at: 5000))
        #expect(!machine.ended && machine.lastSign == Self.t0)
        #expect(machine.due(now: Self.at(5000), interval: .zero).isEmpty)
        #expect(!Self.receive(&machine, .other, at: 6000))
        #expect(machine.lastSign == Self.t0)
    }

    @Test("the socket closes mid-prompt: short waits, the row read and the result asked every poll")
    func socketClosed() {
        var machine = Self.following()
        machine.closed()
        #expect(machine.waited(now: Self.at(250)) == .wait(.milliseconds(250), wakeable: true), "this round was following")
        #expect(machine.waited(now: Self.at(1000)) == .checkRow)
        #expect(machine.rowChecked(held: true, now: Self.at(1000)) == .look)
        #expect(machine.historyPending(now: Self.at(1000)) == .wait(.milliseconds(250), wakeable: true))
        #expect(machine.waited(now: Self.at(1250)) == .wait(.milliseconds(250), wakeable: true), "neither poll due yet")
    }

    @Test("without a socket: a poll's sleep, the row read and the result asked every round, the stall counted from the start")
    func polled() {
        var machine = Machine(now: Self.t0, at: Self.stamp)
        let sleep = Machine.Action.wait(.seconds(1), wakeable: false)
        #expect(machine.start(Self.configuration(socket: false), now: Self.t0) == sleep)
        #expect(machine.waited(now: Self.at(1000)) == .checkRow)
        #expect(machine.rowChecked(held: true, now: Self.at(1000)) == .look)
        #expect(machine.historyPending(now: Self.at(1000)) == sleep)
        for second in 2...5 {
            #expect(machine.waited(now: Self.at(second * 1000)) == .checkRow)
            #expect(machine.rowChecked(held: true, now: Self.at(second * 1000)) == .look)
            #expect(machine.historyPending(now: Self.at(second * 1000)) == sleep)
        }
        #expect(machine.waited(now: Self.at(6000)) == .checkRow)
        #expect(machine.rowChecked(held: true, now: Self.at(6000)) == .look)
        #expect(machine.historyPending(now: Self.at(6000)) == .renewLease, "more than 5 s since the lease was renewed")
        #expect(machine.leaseRenewed(now: Self.at(6000)) == sleep)
        #expect(machine.waited(now: Self.at(10001)) == .checkRow)
        #expect(machine.rowChecked(held: true, now: Self.at(10001)) == .look)
        #expect(machine.historyPending(now: Self.at(10001)) == .stalled)
    }

    @Test("a round that writes progress renews the lease: no separate renewal")
    func writeRenews() {
        var machine = Self.following()
        for second in 1...12 {
            let now = second * 1000
            #expect(!Self.receive(&machine, .progress(value: second, max: 20, node: nil, promptID: "p1"), at: now - 10))
            #expect(machine.waited(now: Self.at(now)) == .checkRow)
            guard case .write = machine.rowChecked(held: true, now: Self.at(now)) else {
                Issue.record("a step is due at \(second) s")
                return
            }
            let next = machine.written(held: true, now: Self.at(now))
            let expected: Machine.Action = second == 10 ? .look : .wait(.seconds(1), wakeable: true)
            #expect(next == expected, "at \(second) s")
            if next == .look { #expect(machine.historyPending(now: Self.at(now)) == .wait(.seconds(1), wakeable: true)) }
        }
    }
}
