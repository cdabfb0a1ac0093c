import Foundation
import StoryboardCore
import Synchronization

/// What a running job's follow loop knows, shared between the task reading the prompt's
/// websocket, which feeds the socket's news in, and the job's own loop, which asks it what to
/// do next. The decisions are the `FollowStateMachine`'s; this adds the lock and the wake-ups.
final class JobWatch: Sendable {
    typealias Socket = FollowStateMachine.Socket
    typealias Progress = FollowStateMachine.Progress
    typealias Preview = FollowStateMachine.Preview
    typealias Updates = FollowStateMachine.Updates

    private struct State {
        var machine: FollowStateMachine
        /// Wake-ups the job's loop has seen.
        var wakesSeen = 0
    }

    private let state: Mutex<State>
    /// Wakes the job's loop when something it waits for happened: the socket opened or
    /// closed, or the prompt ended. Wake-ups between two naps end the next one at once.
    private let wakeups = WakeSignal()

    init(now: ContinuousClock.Instant = .now) {
        state = Mutex(State(machine: FollowStateMachine(now: now)))
    }

    func opened() {
        state.withLock { $0.machine.opened() }
        wakeups.notify()
    }

    func closed() {
        state.withLock { $0.machine.closed() }
        wakeups.notify()
    }

    /// Sleeps for `duration`, or less when the socket opens or closes or the prompt ends.
    /// Throws `CancellationError` when the task is cancelled, like `Task.sleep`.
    func nap(_ duration: Duration) async throws {
        let seen = state.withLock { $0.wakesSeen }
        await wakeups.wait(after: seen, timeout: duration)
        let now = wakeups.current
        state.withLock { $0.wakesSeen = now }
        try Task.checkCancellation()
    }

    var socket: Socket { state.withLock { $0.machine.socket } }
    var lastSign: ContinuousClock.Instant { state.withLock { $0.machine.lastSign } }
    var ended: Bool { state.withLock { $0.machine.ended } }

    /// The files the socket announced, in `/history`'s order, once it said the prompt
    /// succeeded; empty before that. Their downloads may start while `/history` confirms them.
    var announcedOutputs: [UpstreamOutput] {
        let announced = state.withLock { $0.machine.announcedOutputs }
        return announced.isEmpty ? [] : ComfyUIClient.outputs(in: .object(announced))
    }

    /// From now on, messages naming another prompt are not ours. Submitting is itself a sign.
    func expect(promptID: String, now: ContinuousClock.Instant = .now) {
        state.withLock { $0.machine.expect(promptID: promptID, now: now) }
    }

    /// Returns once the socket is open or has failed, or after `timeout`: the prompt is sent
    /// after that, so that its first messages are not missed.
    func settle(timeout: Duration) async {
        let deadline = ContinuousClock.now + timeout
        while socket == .connecting, ContinuousClock.now < deadline, !Task.isCancelled {
            try? await nap(deadline - ContinuousClock.now)
        }
    }

    func receive(_ message: ComfyUIMessage, now: ContinuousClock.Instant = .now) {
        let timestamp = Timestamp.now()
        // The job's loop asks `/history` at once rather than at its next round.
        if state.withLock({ $0.machine.receive(message, now: now, at: timestamp) }) { wakeups.notify() }
    }

    /// The progress and preview to write now: each at most once per `interval`, and with
    /// `final` whatever is still unwritten, so the last step is always recorded.
    func due(now: ContinuousClock.Instant = .now, interval: Duration, final: Bool = false) -> Updates {
        state.withLock { $0.machine.due(now: now, interval: interval, final: final) }
    }

    /// Hands one event to the follow loop's state machine and returns its next action.
    func step(_ event: (inout FollowStateMachine) -> FollowStateMachine.Action) -> FollowStateMachine.Action {
        state.withLock { event(&$0.machine) }
    }
}
