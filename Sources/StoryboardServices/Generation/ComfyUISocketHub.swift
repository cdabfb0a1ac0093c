import Foundation
import Logging
import StoryboardCore
import Synchronization

/// This process's websocket to one ComfyUI server, shared by every job it runs there.
///
/// ComfyUI sends a prompt's messages to the client id that queued it, so the prompts are
/// queued under the id of the hub's current connection and the hub hands each message to
/// the watch of its prompt. Messages that arrive before `/prompt` has answered with the
/// prompt's id are kept until the job binds it. Previews without a prompt id (older servers)
/// belong to the prompt that runs: ComfyUI runs one at a time. The connection stays open
/// while jobs use it and for `idleTimeout` after the last; every new connection has a new
/// client id, so a closing one never takes messages meant for its successor.
final class ComfyUISocketHub: Sendable {
    enum Connection: Sendable, Equatable {
        /// No connection task; `claimStart` says whether to start one.
        case stopped
        case connecting
        case open
    }

    private struct State {
        var connection = Connection.stopped
        var clientID = ComfyUISocketHub.newClientID()
        var watches: [ObjectIdentifier: JobWatch] = [:]
        var byPrompt: [String: JobWatch] = [:]
        /// Messages for prompts no job has bound yet, oldest prompt first.
        var pending: [String: [ComfyUIMessage]] = [:]
        var pendingOrder: [String] = []
        /// The prompt ComfyUI is running for us, for previews that do not say.
        var executing: String?
        var lastUse = ContinuousClock.now
        var lastFailure: ContinuousClock.Instant?
        var stopRequested = false
        /// Prompts whose jobs are done with the socket: late messages about them are dropped.
        var retired: Set<String> = []
        var retiredOrder: [String] = []
    }

    /// Prompts whose early messages are kept, and messages kept for each (previews: the latest only).
    static let pendingPrompts = 256
    static let pendingMessages = 64

    let base: String
    let apiKey: Secret?
    let logger: Logger
    let idleTimeout: Duration
    /// After a failed connection, jobs are followed by polling for this long before the next try.
    let retryAfter: Duration
    private let state = Mutex(State())
    /// Wakes the connection's idle wait when a stop is asked for.
    private let stopSignal = WakeSignal()

    init(base: String, apiKey: Secret?, logger: Logger, idleTimeout: Duration = .seconds(30), retryAfter: Duration = .seconds(2)) {
        self.base = base
        self.apiKey = apiKey
        self.logger = logger
        self.idleTimeout = idleTimeout
        self.retryAfter = retryAfter
    }

    static func newClientID() -> String { "storyboard-\(UUID().uuidString.lowercased())" }

    var connection: Connection { state.withLock { $0.connection } }
    /// Prompts with early messages kept (tests).
    var pendingCount: Int { state.withLock { $0.pending.count } }

    /// Closes the connection with a handshake, as a shutdown does; new jobs poll meanwhile.
    func requestStop() {
        state.withLock { $0.stopRequested = true }
        stopSignal.notify()
    }

    /// True when the caller is to run `run()` now: there is no connection and the last one did
    /// not fail just now. Called before a job on this server starts.
    func claimStart(now: ContinuousClock.Instant = .now) -> Bool {
        state.withLock { state in
            state.lastUse = now
            guard state.connection == .stopped else { return false }
            if let failed = state.lastFailure, now - failed < retryAfter { return false }
            state.connection = .connecting
            state.clientID = Self.newClientID()
            state.stopRequested = false
            return true
        }
    }

    /// A job follows its prompt through `watch`; returns the client id to queue the prompt
    /// under. The watch learns at once whether the socket is open, opening or gone.
    func register(_ watch: JobWatch) -> String {
        state.withLock { state in
            state.lastUse = .now
            // A connection that is closing serves no new job: it goes on by polling.
            let connection = state.stopRequested ? .stopped : state.connection
            switch connection {
            case .stopped:
                watch.closed()
                // Nothing listens under this id: the prompt's messages are dropped upstream.
                return Self.newClientID()
            case .connecting:
                state.watches[ObjectIdentifier(watch)] = watch
            case .open:
                state.watches[ObjectIdentifier(watch)] = watch
                watch.opened()
            }
            return state.clientID
        }
    }

    /// The job's prompt is `promptID`: its messages so far, and from now on, go to `watch`.
    func bind(_ promptID: String, to watch: JobWatch) {
        watch.expect(promptID: promptID)
        state.withLock { state in
            guard state.watches[ObjectIdentifier(watch)] != nil else { return }
            state.byPrompt[promptID] = watch
            if let early = state.pending.removeValue(forKey: promptID) {
                state.pendingOrder.removeAll { $0 == promptID }
                for message in early { watch.receive(message) }
            }
        }
    }

    func unregister(_ watch: JobWatch) {
        state.withLock { state in
            state.lastUse = .now
            guard state.watches.removeValue(forKey: ObjectIdentifier(watch)) != nil else { return }
            for (promptID, bound) in state.byPrompt where bound === watch {
                state.byPrompt[promptID] = nil
                state.retired.insert(promptID)
                state.retiredOrder.append(promptID)
                if state.retiredOrder.count > Self.pendingPrompts { state.retired.remove(state.retiredOrder.removeFirst()) }
            }
        }
    }

    /// Keeps the connection until it fails, the server closes it, it has been idle for
    /// `idleTimeout`, or the task is cancelled; then every job on it goes on by polling.
    func run() async {
        let clientID = state.withLock { $0.clientID }
        guard let socket = ComfyUISocket(base: base, clientID: clientID, apiKey: apiKey, logger: logger) else {
            ended(failed: true)
            return
        }
        // Shielded from cancellation: a shutdown asks for the close handshake instead (see
        // `ComfyUISocket.run`). It ends within a second of being asked.
        let connection = Task {
            try await socket.run(opened: { self.opened() }, deliver: { self.route($0) }, until: { await self.waitUntilIdle() })
        }
        let result = await withTaskCancellationHandler {
            await connection.result
        } onCancel: {
            self.requestStop()
        }
        // A socket that never opened, or that the server dropped, is not tried again at once.
        var failed = state.withLock { $0.connection != .open || (!$0.stopRequested && !$0.watches.isEmpty) }
        if case .failure(let error) = result, !Task.isCancelled {
            failed = true
            logger.info(
                "ComfyUI websocket ended; jobs there are followed by polling",
                metadata: ["url": "\(UpstreamHTTP.redacted(socket.url))", "error": "\(error)"])
        }
        ended(failed: failed)
    }

    func opened() {
        state.withLock { state in
            state.connection = .open
            for watch in state.watches.values { watch.opened() }
        }
    }

    /// Returns once nobody has used the connection for `idleTimeout`, or a stop was asked for.
    /// Also returns when cancelled: the socket's reader ended first (the server closed it).
    private func waitUntilIdle() async {
        while !Task.isCancelled {
            let seen = stopSignal.current
            let wait = state.withLock { state -> Duration? in
                if state.stopRequested { return nil }
                let quiet = ContinuousClock.now - state.lastUse
                if state.watches.isEmpty, quiet >= idleTimeout {
                    state.stopRequested = true
                    return nil
                }
                // While jobs use it, the idle clock starts only when the last one leaves.
                return state.watches.isEmpty ? idleTimeout - quiet : idleTimeout
            }
            guard let wait else { return }
            await stopSignal.wait(after: seen, timeout: wait)
        }
    }

    private func ended(failed: Bool) {
        let watches = state.withLock { state -> [JobWatch] in
            state.connection = .stopped
            state.lastFailure = failed ? .now : nil
            let watches = Array(state.watches.values)
            state.watches = [:]
            state.byPrompt = [:]
            state.pending = [:]
            state.pendingOrder = []
            state.retired = []
            state.retiredOrder = []
            state.executing = nil
            return watches
        }
        for watch in watches { watch.closed() }
    }

    /// Hands a message to the watch of its prompt, or keeps it for a prompt not yet bound.
    func route(_ message: ComfyUIMessage) {
        state.withLock { state in
            switch message {
            case .other: return
            case .status:
                // Queue movement: a sign of life for every job not yet started (the watch decides).
                for watch in state.watches.values { watch.receive(message) }
                return
            default: break
            }
            guard let promptID = message.promptID ?? state.executing else { return }
            switch message {
            case .started, .cached, .progress, .executed: state.executing = promptID
            case .executing(let node, _): state.executing = node == nil ? nil : promptID
            case .succeeded, .failed, .interrupted: if state.executing == promptID { state.executing = nil }
            default: break
            }
            if let watch = state.byPrompt[promptID] {
                watch.receive(message)
                return
            }
            Self.keep(message, for: promptID, in: &state)
        }
    }

    private static func keep(_ message: ComfyUIMessage, for promptID: String, in state: inout State) {
        if state.retired.contains(promptID) { return }
        if case .preview(_, let bytes, _) = message, bytes.count > FollowStateMachine.maxPreviewBytes { return }
        if state.pending[promptID] == nil {
            if state.pendingOrder.count >= pendingPrompts {
                state.pending.removeValue(forKey: state.pendingOrder.removeFirst())
            }
            state.pendingOrder.append(promptID)
        }
        var kept = state.pending[promptID, default: []]
        if case .preview = message { kept.removeAll { if case .preview = $0 { true } else { false } } }
        if kept.count >= pendingMessages { kept.removeFirst() }
        kept.append(message)
        state.pending[promptID] = kept
    }
}

/// This process's hubs, one per ComfyUI server (a new one when its address or key changes).
final class ComfyUISocketHubs: Sendable {
    private let hubs = Mutex<[UUID: ComfyUISocketHub]>([:])
    let logger: Logger
    let idleTimeout: Duration

    init(logger: Logger, idleTimeout: Duration = .seconds(30)) {
        self.logger = logger
        self.idleTimeout = idleTimeout
    }

    func hub(for server: GenerationServer) -> ComfyUISocketHub {
        hubs.withLock { hubs in
            if let hub = hubs[server.meta.id], hub.base == server.url, hub.apiKey == server.apiKey { return hub }
            let hub = ComfyUISocketHub(base: server.url, apiKey: server.apiKey, logger: logger, idleTimeout: idleTimeout)
            hubs[server.meta.id] = hub
            return hub
        }
    }
}
