import Foundation
import StoryboardCore

/// Every decision of following one running job upstream, without I/O, in the style of
/// postgres-nio's state machines: each event (a socket message, a wake-up, the job row read,
/// progress written, `/history` still pending, the lease renewed) returns the next action, and
/// the loop that does the I/O reports how it went. Time comes in with each event, so every
/// transition can be tested without a server, a socket, a database or a clock.
///
/// A round is: wait, look at the job row (a cancel is seen there), write progress and
/// previews, ask for the result, give up when stalled, renew the lease when nothing else did.
/// With a socket (ComfyUI) its messages drive the rounds and say when to ask; without one
/// (RunPod) the result is polled.
struct FollowStateMachine: Sendable {
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

    struct Configuration: Sendable, Equatable {
        /// Whether a websocket reports on the prompt; without one the result is polled.
        var socket: Bool
        var poll: Duration
        /// Progress and previews are written at most this often.
        var updateInterval: Duration
        /// No sign of progress for longer than this: the attempt has stalled.
        var stallTimeout: Duration
        /// The lease is renewed when nothing else wrote the job for this long.
        var heartbeat: Duration

        /// With a socket, `/history` is still asked this often: a message may have been missed.
        var safety: Duration { poll * 10 }
    }

    enum Action: Sendable, Equatable {
        /// Wait this long; `wakeable`: the socket's news may end the wait early.
        case wait(Duration, wakeable: Bool)
        /// Read the job's row: it says whether the job is still this process's to run.
        case checkRow
        /// Write this progress and preview, with a lease renewal.
        case write(Updates)
        /// Ask the upstream for the result.
        case look
        /// Renew the lease: nothing else wrote the job for a while.
        case renewLease
        /// The job is no longer this process's (cancelled or taken over): cancel the prompt upstream and stop.
        case stop
        /// No sign of progress for the stall timeout: interrupt the prompt and fail the attempt.
        case stalled
    }

    /// Where the loop is: which report the machine waits for.
    enum Phase: Sendable, Equatable {
        case watching, waiting, checkingRow, writing, looking, renewing, done
    }

    /// Previews above this are not kept (ComfyUI's are at most 512 px, tens of kilobytes).
    static let maxPreviewBytes = 2 << 20

    // What the socket said.
    private(set) var socket = Socket.connecting
    private var promptID: String?
    /// Our prompt has started executing; from then on queue broadcasts are no sign of ours.
    private var started = false
    private(set) var lastSign: ContinuousClock.Instant
    private var signAt: Timestamp
    /// The socket said the prompt is over: `/history` is worth asking at once.
    private(set) var ended = false
    /// It said so with an error or an interruption.
    private var failed = false
    /// Output nodes' files as `executed` announced them, by node.
    private var announced: [String: JSONValue] = [:]
    private var progress: Progress?
    private var progressChanged = false
    private var lastProgressWrite: ContinuousClock.Instant?
    private var preview: Preview?
    private var previewChanged = false
    private var lastPreviewWrite: ContinuousClock.Instant?

    // The loop.
    private(set) var phase = Phase.watching
    private var configuration = Configuration(
        socket: false, poll: .seconds(1), updateInterval: .milliseconds(250), stallTimeout: .seconds(300), heartbeat: .seconds(10))
    private var startedAt: ContinuousClock.Instant
    private var lastHeartbeat: ContinuousClock.Instant
    private var lastCheck: ContinuousClock.Instant
    /// `/history` is asked once before the first wait: a prompt that is quick (or already
    /// done) is then not waited for through the socket, whose messages take longer.
    private var lastLook: ContinuousClock.Instant?
    /// Whether the socket drives this round (open, the prompt not over): decided as it begins.
    private var following = false

    init(now: ContinuousClock.Instant, at timestamp: Timestamp = .now()) {
        lastSign = now
        signAt = timestamp
        startedAt = now
        lastHeartbeat = now
        lastCheck = now
    }

    // MARK: - The socket's news

    mutating func opened() { socket = .open }

    mutating func closed() { socket = .closed }

    /// From now on, messages naming another prompt are not ours. Submitting is itself a sign.
    mutating func expect(promptID: String, now: ContinuousClock.Instant) {
        self.promptID = promptID
        lastSign = now
    }

    /// Takes in one message; true when the loop should be woken to ask `/history` at once.
    mutating func receive(_ message: ComfyUIMessage, now: ContinuousClock.Instant, at timestamp: Timestamp) -> Bool {
        if let id = message.promptID, let expected = promptID, id != expected { return false }
        let wasEnded = ended
        switch message {
        case .other: return false
        case .status:
            // Others' work moving through the queue ahead of ours counts as life until ours
            // starts; after that only our own messages do, or a wedged prompt on a busy
            // server would never look stalled.
            guard !started else { return false }
        case .started, .cached:
            started = true
        case .executing(let node, _):
            started = true
            if node == nil { ended = true }
        case .progress(let value, let max, _, _):
            started = true
            progress = Progress(value: value, max: max)
            progressChanged = true
        case .executed(let node, let output, _):
            started = true
            if let node, let output { announced[node] = output }
        case .succeeded:
            ended = true
        case .failed, .interrupted:
            ended = true
            failed = true
        case .preview(let contentType, let bytes, _):
            guard bytes.count <= Self.maxPreviewBytes else { return false }
            preview = Preview(contentType: contentType, bytes: bytes)
            previewChanged = true
        }
        lastSign = now
        signAt = timestamp
        // `execution_success` comes before ComfyUI writes the history, `executing` with no
        // node after it: the loop may have found the history not written yet, and asks again.
        if case .executing(nil, _) = message { return true }
        return ended && !wasEnded
    }

    /// The files the socket announced, once it said the prompt succeeded; empty before that.
    /// Their downloads may start while `/history` confirms them.
    var announcedOutputs: [String: JSONValue] { ended && !failed ? announced : [:] }

    /// The progress and preview to write now: each at most once per `interval`, and with
    /// `final` whatever is still unwritten, so the last step is always recorded.
    mutating func due(now: ContinuousClock.Instant, interval: Duration, final: Bool = false) -> Updates {
        var updates = Updates(signAt: signAt)
        if progressChanged, final || lastProgressWrite.map({ now - $0 >= interval }) ?? true {
            updates.progress = progress
            progressChanged = false
            lastProgressWrite = now
        }
        // The last preview of a finished prompt is of no use: its result is about to be stored.
        if previewChanged, !final, lastPreviewWrite.map({ now - $0 >= interval }) ?? true {
            updates.preview = preview
            previewChanged = false
            lastPreviewWrite = now
        }
        return updates
    }

    // MARK: - The loop

    /// The loop begins (the prompt was just sent): its first action.
    mutating func start(_ configuration: Configuration, now: ContinuousClock.Instant) -> Action {
        assert(phase == .watching, "a follow loop starts once")
        self.configuration = configuration
        startedAt = now
        lastHeartbeat = now
        lastCheck = now
        lastLook = nil
        return beginRound(now: now)
    }

    /// The wait is over (its time, or the socket's news).
    mutating func waited(now: ContinuousClock.Instant) -> Action {
        assert(phase == .waiting)
        return afterWait(now: now)
    }

    /// The job's row was read: `held` while it is still running under this process's lease.
    mutating func rowChecked(held: Bool, now: ContinuousClock.Instant) -> Action {
        assert(phase == .checkingRow)
        guard held else { return finish(.stop) }
        lastCheck = now
        return afterCheck(now: now)
    }

    /// The progress was written (which renewed the lease), or the job was no longer held.
    mutating func written(held: Bool, now: ContinuousClock.Instant) -> Action {
        assert(phase == .writing)
        guard held else { return finish(.stop) }
        lastHeartbeat = now
        return beforeLook(now: now)
    }

    /// `/history` has no result yet (still running, or finished but not written yet).
    mutating func historyPending(now: ContinuousClock.Instant) -> Action {
        assert(phase == .looking)
        return afterLook(now: now)
    }

    mutating func leaseRenewed(now: ContinuousClock.Instant) -> Action {
        assert(phase == .renewing)
        lastHeartbeat = now
        return beginRound(now: now)
    }

    private mutating func beginRound(now: ContinuousClock.Instant) -> Action {
        let (poll, update) = (configuration.poll, configuration.updateInterval)
        guard configuration.socket else {
            phase = .waiting
            return .wait(poll, wakeable: false)
        }
        // While the socket is open and the prompt runs, its messages drive the loop: a round
        // per progress write, woken early when the prompt ends. Otherwise it polls.
        following = socket == .open && !ended
        // No wait before the first look.
        guard lastLook != nil else { return afterWait(now: now) }
        phase = .waiting
        return .wait(following ? max(poll, update) : min(poll, update), wakeable: true)
    }

    private mutating func afterWait(now: ContinuousClock.Instant) -> Action {
        let (poll, update) = (configuration.poll, configuration.updateInterval)
        // A cancel is seen in the job row; a few times a second is soon enough.
        if !configuration.socket || now - lastCheck >= (following ? max(poll, update) : poll) {
            phase = .checkingRow
            return .checkRow
        }
        return afterCheck(now: now)
    }

    private mutating func afterCheck(now: ContinuousClock.Instant) -> Action {
        // Once the socket says the prompt is over, its result is about to be stored: the
        // last progress goes in with it (one transaction fewer), the last preview nowhere.
        if configuration.socket, !ended {
            let updates = due(now: now, interval: configuration.updateInterval)
            if !updates.isEmpty {
                phase = .writing
                return .write(updates)
            }
        }
        return beforeLook(now: now)
    }

    private mutating func beforeLook(now: ContinuousClock.Instant) -> Action {
        if shouldLook(now: now) {
            lastLook = now
            phase = .looking
            return .look
        }
        return afterLook(now: now)
    }

    /// As soon as the socket says the prompt is over, every poll without a socket, and every
    /// `safety` with one open.
    private func shouldLook(now: ContinuousClock.Instant) -> Bool {
        guard configuration.socket, let lastLook else { return true }
        if ended { return true }
        return now - lastLook >= (socket == .open ? configuration.safety : configuration.poll)
    }

    private mutating func afterLook(now: ContinuousClock.Instant) -> Action {
        // Without a socket only a result would be a sign: the stall counts from the start.
        let quiet = now - (configuration.socket ? lastSign : startedAt)
        if quiet > configuration.stallTimeout { return finish(.stalled) }
        if now - lastHeartbeat > configuration.heartbeat {
            phase = .renewing
            return .renewLease
        }
        return beginRound(now: now)
    }

    private mutating func finish(_ action: Action) -> Action {
        phase = .done
        return action
    }
}
