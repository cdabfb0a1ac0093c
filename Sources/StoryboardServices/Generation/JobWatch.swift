import Foundation
import StoryboardCore
import Synchronization

/// What a running prompt's websocket has said, shared between the task reading the socket
/// and the job's own loop, which writes it down (rate-limited) and decides from it when to
/// ask `/history` and whether the job has stalled.
final class JobWatch: Sendable {
    enum Socket: Sendable, Equatable {
        case connecting, open, closed
    }

    struct Progress: Sendable, Equatable {
        var value: Int
        var max: Int
    }

    struct Preview: Sendable, Equatable {
        var contentType: String
        var bytes: Data
    }

    /// What is due to be written: the latest of each, when it changed since the last write.
    struct Updates: Sendable, Equatable {
        var progress: Progress?
        var preview: Preview?
        /// When the last sign of progress came (for `progress_at`).
        var signAt: Timestamp

        var isEmpty: Bool { progress == nil && preview == nil }
    }

    private struct State {
        var socket = Socket.connecting
        var promptID: String?
        /// Our prompt has started executing; from then on queue broadcasts are no sign of ours.
        var started = false
        var lastSign: ContinuousClock.Instant
        var signAt = Timestamp.now()
        /// The socket said the prompt is over: `/history` is worth asking at once.
        var ended = false
        /// It said so with an error or an interruption.
        var failed = false
        /// Output nodes' files as `executed` announced them, by node.
        var announced: [String: JSONValue] = [:]
        var progress: Progress?
        var progressChanged = false
        var lastProgressWrite: ContinuousClock.Instant?
        var preview: Preview?
        var previewChanged = false
        var lastPreviewWrite: ContinuousClock.Instant?
        /// Wake-ups the job's loop has seen.
        var wakesSeen = 0
    }

    /// Previews above this are not kept (ComfyUI's are at most 512 px, tens of kilobytes).
    static let maxPreviewBytes = 2 << 20

    private let state: Mutex<State>
    /// Wakes the job's loop when something it waits for happened: the socket opened or
    /// closed, or the prompt ended. Wake-ups between two naps end the next one at once.
    private let wakeups = WakeSignal()

    init(now: ContinuousClock.Instant = .now) {
        state = Mutex(State(lastSign: now))
    }

    func opened() {
        state.withLock { $0.socket = .open }
        wakeups.notify()
    }

    func closed() {
        state.withLock { $0.socket = .closed }
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
    var socket: Socket { state.withLock { $0.socket } }
    var lastSign: ContinuousClock.Instant { state.withLock { $0.lastSign } }
    var ended: Bool { state.withLock { $0.ended } }

    /// The files the socket announced, in `/history`'s order, once it said the prompt
    /// succeeded; empty before that. Their downloads may start while `/history` confirms them.
    var announcedOutputs: [UpstreamOutput] {
        let announced = state.withLock { $0.ended && !$0.failed ? $0.announced : [:] }
        return announced.isEmpty ? [] : ComfyUIClient.outputs(in: .object(announced))
    }

    /// From now on, messages naming another prompt are not ours. Submitting is itself a sign.
    func expect(promptID: String, now: ContinuousClock.Instant = .now) {
        state.withLock {
            $0.promptID = promptID
            $0.lastSign = now
        }
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
        let wake = state.withLock { state -> Bool in
            if let id = message.promptID, let expected = state.promptID, id != expected { return false }
            let wasEnded = state.ended
            switch message {
            case .other: return false
            case .status:
                // Others' work moving through the queue ahead of ours counts as life until ours
                // starts; after that only our own messages do, or a wedged prompt on a busy
                // server would never look stalled.
                guard !state.started else { return false }
            case .started, .cached:
                state.started = true
            case .executing(let node, _):
                state.started = true
                if node == nil { state.ended = true }
            case .progress(let value, let max, _, _):
                state.started = true
                state.progress = Progress(value: value, max: max)
                state.progressChanged = true
            case .executed(let node, let output, _):
                state.started = true
                if let node, let output { state.announced[node] = output }
            case .succeeded:
                state.ended = true
            case .failed, .interrupted:
                state.ended = true
                state.failed = true
            case .preview(let contentType, let bytes, _):
                guard bytes.count <= Self.maxPreviewBytes else { return false }
                state.preview = Preview(contentType: contentType, bytes: bytes)
                state.previewChanged = true
            }
            state.lastSign = now
            state.signAt = .now()
            // `execution_success` comes before ComfyUI writes the history, `executing` with no
            // node after it: the loop may have found the history not written yet, and asks again.
            if case .executing(nil, _) = message { return true }
            return state.ended && !wasEnded
        }
        // The job's loop asks `/history` at once rather than at its next round.
        if wake { wakeups.notify() }
    }

    /// The progress and preview to write now: each at most once per `interval`, and with
    /// `final` whatever is still unwritten, so the last step is always recorded.
    func due(now: ContinuousClock.Instant = .now, interval: Duration, final: Bool = false) -> Updates {
        state.withLock { state in
            var updates = Updates(signAt: state.signAt)
            if state.progressChanged, final || state.lastProgressWrite.map({ now - $0 >= interval }) ?? true {
                updates.progress = state.progress
                state.progressChanged = false
                state.lastProgressWrite = now
            }
            // The last preview of a finished prompt is of no use: its result is about to be stored.
            if state.previewChanged, !final, state.lastPreviewWrite.map({ now - $0 >= interval }) ?? true {
                updates.preview = state.preview
                state.previewChanged = false
                state.lastPreviewWrite = now
            }
            return updates
        }
    }

    /// Whether to ask `/history` now: as soon as the socket says the prompt is over, every
    /// `poll` without a socket, and every `safety` with one (a message may have been missed).
    func shouldLook(now: ContinuousClock.Instant = .now, lastLook: ContinuousClock.Instant?, poll: Duration, safety: Duration) -> Bool {
        guard let lastLook else { return true }
        let (socket, ended) = state.withLock { ($0.socket, $0.ended) }
        if ended { return true }
        return now - lastLook >= (socket == .open ? safety : poll)
    }
}
