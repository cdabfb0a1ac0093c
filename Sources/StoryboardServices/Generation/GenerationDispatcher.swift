import AsyncHTTPClient
import Foundation
import Logging
import Metrics
import ServiceLifecycle
import StoryboardCore
import StoryboardDatabase
import Synchronization

/// Runs queued jobs on the generation servers: claims a job under a lease, picks a server,
/// sends the graph, follows it, stores the outputs and attaches them, retrying transient
/// failures elsewhere with back-off. Several processes may run one each on a shared
/// PostgreSQL: the claim and the lease keep a job on one of them at a time.
public final class GenerationDispatcher: Service, Sendable {
    let database: Database
    let media: MediaStore
    let http: UpstreamHTTP
    let monitor: ServerMonitor
    let settings: GenerationSettings
    let wakeup: JobWakeup
    let results: JobResults
    /// One websocket per ComfyUI server, shared by the jobs running there.
    let sockets: ComfyUISocketHubs
    let phases: JobPhaseMetrics
    let logger: Logger
    /// Who holds a lease: unique per process start, so a restarted process never mistakes a
    /// dead one's jobs for its own.
    public let owner: String
    /// Jobs this process is running, and on which server.
    private let running = Mutex<[UUID: UUID]>([:])
    /// Batches this process has marked running (a few bytes each; cleared now and then).
    private let startedBatches = Mutex<Set<UUID>>([])

    public init(
        database: Database, media: MediaStore, http: UpstreamHTTP, settings: GenerationSettings, wakeup: JobWakeup,
        metrics: any MetricsFactory = NOOPMetricsHandler.instance, logger: Logger = Logger(label: "storyboard.dispatcher")
    ) {
        self.database = database
        self.media = media
        self.http = http
        self.settings = settings
        self.wakeup = wakeup
        self.logger = logger
        self.monitor = ServerMonitor(database: database, http: http, settings: settings, logger: logger)
        self.results = JobResults(database: database)
        self.sockets = ComfyUISocketHubs(logger: logger)
        self.phases = JobPhaseMetrics(factory: metrics)
        self.owner =
            "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier):\(UUID().uuidString.prefix(8).lowercased())"
    }

    public func run() async throws {
        await recoverLeases()
        // Shutdown cancels the loop; each running job then goes back to the queue.
        await cancelWhenGracefulShutdown {
            await self.loop()
        }
    }

    private func loop() async {
        await withDiscardingTaskGroup { group in
            var lastRecovery = ContinuousClock.now
            while !Task.isCancelled {
                let seen = wakeup.current
                if ContinuousClock.now - lastRecovery > .seconds(settings.leaseSeconds / 2) {
                    await recoverLeases()
                    lastRecovery = ContinuousClock.now
                }
                do {
                    try await dispatchDue(into: &group)
                } catch {
                    logger.warning("dispatch round failed; trying again shortly", metadata: ["error": "\(error)"])
                }
                await wakeup.wait(after: seen, timeout: min(1, settings.pollInterval * 2))
            }
        }
    }

    private func recoverLeases() async {
        do {
            let recovered = try await database.transaction { tx in
                let result = try await tx.jobs.recoverExpiredLeases()
                try await tx.batches.refreshAll(result.failedBatches)
                return result.recovered
            }
            if recovered > 0 { logger.notice("jobs of a stopped process went back to the queue", metadata: ["jobs": "\(recovered)"]) }
        } catch {
            logger.warning("expired leases could not be recovered", metadata: ["error": "\(error)"])
        }
    }

    /// Claims and starts jobs while some server has room.
    private func dispatchDue(into group: inout DiscardingTaskGroup) async throws {
        var candidates = try await loadCandidates()
        var misses = 0
        while misses < 3, candidates.contains(where: { $0.hasRoom && $0.status.isOnline && $0.server.isActive }) {
            let (owner, leaseSeconds, current) = (owner, settings.leaseSeconds, candidates)
            let claim = try await database.transaction { tx -> Claim? in
                guard let job = try await tx.jobs.claim(owner: owner, leaseSeconds: leaseSeconds) else { return nil }
                let loras = (job.storedParams.loras ?? []).map(\.name)
                guard
                    let chosen = ServerPicker.pick(
                        current, model: job.model, loras: loras, preferred: job.preferredServerID, avoid: job.serverID, now: .now())
                else {
                    // Nothing with room has what it needs right now: back in the queue for a moment.
                    _ = try await tx.jobs.move(
                        id: job.meta.id, to: .queued, owner: owner,
                        Changes(["available_at": DatabaseValue(Timestamp.now().adding(seconds: 2))]))
                    return .missed
                }
                // A job that will go out as it is starts its attempt in its claim's transaction:
                // one commit where there were two. Others (a first frame to read, no model, a
                // graph the server cannot run) start, or fail, in their run.
                guard let checkpoint = JobRun.sendable(job, on: chosen) else { return .claimed(job, chosen, started: false) }
                let markBatch = self.batchNeedsStart(job)
                guard
                    try await JobRun.writeStart(
                        of: job, on: chosen.server, checkpoint: checkpoint, owner: owner, leaseSeconds: leaseSeconds, markBatch: markBatch,
                        in: tx)
                else { return .claimed(job, chosen, started: false) }
                return .claimed(job, chosen, started: true, markedBatch: markBatch)
            }
            guard let claim else { return }
            guard case .claimed(let job, let chosen, let started, let markedBatch) = claim else {
                misses += 1
                continue
            }
            let claimedAt = ContinuousClock.now
            if markedBatch { batchStarted(job) }
            if let index = candidates.firstIndex(where: { $0.server.meta.id == chosen.server.meta.id }) { candidates[index].running += 1 }
            running.withLock { $0[job.meta.id] = chosen.server.meta.id }
            let due = max(job.meta.createdAt, job.availableAt)
            phases.record(.queued, .microseconds(max(0, Timestamp.now().microseconds - due.microseconds)))
            // The hub of the server as this job saw it (an edited server gets a new one).
            let hub = chosen.server.serverType == .comfyui ? sockets.hub(for: chosen.server) : nil
            if let hub, hub.claimStart() { group.addTask { await hub.run() } }
            group.addTask {
                await self.execute(job, on: chosen.server, status: chosen.status, hub: hub, claimedAt: claimedAt, started: started)
                _ = self.running.withLock { $0.removeValue(forKey: job.meta.id) }
                self.wakeup.notify()
            }
        }
    }

    /// Active servers with their status and how many jobs run on each (all processes).
    private func loadCandidates() async throws -> [ServerCandidate] {
        // Pull-mode servers call in for their work; they are never called.
        let servers = try await database.servers.dispatchable()
        guard !servers.isEmpty else { return [] }
        let local = running.withLock { Array($0.values) }
        return servers.map { entry in
            // Claimed here but not yet recorded on the job row.
            let inFlight = max(entry.running, local.filter { $0 == entry.server.meta.id }.count)
            return ServerCandidate(server: entry.server, status: entry.status, running: inFlight)
        }
    }

    // MARK: - One job

    /// Whether this process has yet to see `job`'s batch leave `queued` (it never goes back),
    /// so that the batch row is not touched again for each of its jobs.
    func batchNeedsStart(_ job: GenerationJob) -> Bool {
        guard let batch = job.batchID else { return false }
        return startedBatches.withLock { !$0.contains(batch) }
    }

    func batchStarted(_ job: GenerationJob) {
        guard let batch = job.batchID else { return }
        startedBatches.withLock { seen in
            if seen.count > 10_000 { seen.removeAll() }
            seen.insert(batch)
        }
    }

    private func execute(
        _ job: GenerationJob, on server: GenerationServer, status: BackendStatus, hub: ComfyUISocketHub?,
        claimedAt: ContinuousClock.Instant, started: Bool
    ) async {
        let run = JobRun(job: job, server: server, status: status, hub: hub, dispatcher: self, claimedAt: claimedAt)
        if started { run.start.recorded() }
        // An attempt that ended before its start was written never reached the server: a
        // refusal is not counted (it fails at once), but one that will be retried is, or it
        // could come back for ever. Its failure says it started.
        let attempt = { (message: String, retryable: Bool) in
            let started = run.start.isRecorded
            return FailedAttempt(
                attempts: job.attempts + (started || retryable ? 1 : 0), serverID: server.meta.id, unannounced: !started, message: message,
                retryable: retryable
            )
        }
        do {
            try await run.perform()
        } catch is CancellationError {
            await release(job, reason: "the server process stopped while it ran")
        } catch let error as JobRun.Stop {
            logger.info("job stopped", metadata: ["job_id": "\(job.meta.id.lowercasedString)", "reason": "\(error.reason)"])
        } catch let error as UpstreamError {
            if error.kind == .transient { await monitor.recordFailure(serverID: server.meta.id, error: error.message) }
            await fail(job, attempt(error.message, error.kind == .transient))
        } catch let error as AppError {
            // The output could not be kept (too large, not an image or video, disk full).
            await fail(job, attempt(error.message, error.code == .insufficientStorage || error.code == .databaseUnavailable))
        } catch {
            await fail(job, attempt("\(error)", true))
        }
    }

    /// Back in the queue after back-off, or failed when no attempts are left.
    private func fail(_ job: GenerationJob, _ attempt: FailedAttempt) async {
        let failure = JobFailure(
            database: database, retry: RetryPolicy(baseDelay: settings.retryBaseDelay, maxDelay: settings.retryMaxDelay))
        let (attempts, message) = (attempt.attempts, attempt.message)
        await persist { [self] in
            switch try await failure.record(job, owner: owner, attempt) {
            case .retrying:
                logger.notice(
                    "job failed; will retry",
                    metadata: ["job_id": "\(job.meta.id.lowercasedString)", "attempt": "\(attempts)", "error": "\(message.prefix(2000))"])
            case .failed:
                logger.warning(
                    "job failed",
                    metadata: ["job_id": "\(job.meta.id.lowercasedString)", "attempts": "\(attempts)", "error": "\(message.prefix(2000))"])
            case .lost:
                break
            }
        }
    }

    /// Gives a job back (this process is stopping): queued again at once, the attempt not counted.
    private func release(_ job: GenerationJob, reason: String) async {
        await persist { [self] in
            _ = try await database.jobs.move(
                id: job.meta.id, to: .queued, owner: owner,
                Changes([
                    "attempts": .integer(job.attempts), "available_at": DatabaseValue(Timestamp.now()), "error": .text(reason),
                    "upstream_id": .null,
                ])
            )
        }
    }

    /// Runs a final write even while the surrounding task is being cancelled (shutdown), so a
    /// job is never left `running` by a clean stop. Bounded by the database's own timeouts.
    private func persist(_ body: @escaping @Sendable () async throws -> Void) async {
        let logger = self.logger
        await Task {
            do { try await body() } catch {
                logger.warning("job state could not be written; its lease will expire", metadata: ["error": "\(error)"])
            }
        }.value
    }
}

/// What one claim in a dispatch round came to.
enum Claim: Sendable {
    /// Claimed for `server`; `started` when its attempt's start was written with the claim,
    /// `markedBatch` when that write also moved its batch to `running`.
    case claimed(GenerationJob, ServerCandidate, started: Bool, markedBatch: Bool = false)
    /// No server with room can run it now: back in the queue for a moment.
    case missed
}

/// The steps of one attempt of one job on one server.
struct JobRun: Sendable {
    /// The job is no longer ours to run (cancelled, its target deleted, or taken over).
    struct Stop: Error {
        var reason: String
    }

    let job: GenerationJob
    let server: GenerationServer
    let status: BackendStatus
    /// The server's shared websocket (ComfyUI only).
    let hub: ComfyUISocketHub?
    let dispatcher: GenerationDispatcher
    let claimedAt: ContinuousClock.Instant
    /// Whether the attempt's start is written yet.
    let start = RunStart()

    var settings: GenerationSettings { dispatcher.settings }
    var database: Database { dispatcher.database }

    func perform() async throws {
        let checkpoint = job.model ?? status.capabilities.checkpoints.first
        guard let checkpoint else {
            throw UpstreamError(.permanent, "no model was named and \(server.name) lists no checkpoints")
        }
        let source = try await SourceImage.load(for: job, database: database, media: dispatcher.media)
        let graph = job.workflow(checkpoint: checkpoint, image: source?.name)
        if server.serverType == .comfyui, !status.capabilities.nodeTypes.isEmpty {
            let problems = Workflow.problems(of: graph, on: status.capabilities)
            if !problems.isEmpty { throw UpstreamError(.permanent, "refused before sending: \(problems.joined(separator: "; "))") }
        }
        if !start.isRecorded { try await recordStart(checkpoint: checkpoint) }
        let outputs: [StoredOutput]
        var lastStep: JobResults.LastStep?
        switch server.serverType {
        case .comfyui: (outputs, lastStep) = try await runOnComfyUI(graph, source: source, checkpoint: checkpoint)
        case .runpod: outputs = try await runOnRunPod(graph, source: source)
        }
        guard !outputs.isEmpty else { throw UpstreamError(.permanent, "the workflow finished without any output") }
        let attaching = ContinuousClock.now
        let completion = try await dispatcher.results.complete(
            job, owner: dispatcher.owner, outputs: outputs, server: server, model: checkpoint, progress: lastStep)
        _ = dispatcher.phases.record(.attach, since: attaching)
        switch completion {
        case .succeeded:
            // Judged on the status this job was dispatched with: a healthy server that already
            // ran this model is not touched (the success would change nothing), so the
            // attaching transaction is the job's last write.
            if dispatcher.monitor.breaker.recordingSuccess(status, model: checkpoint, now: .now()) != status {
                await dispatcher.monitor.recordSuccess(serverID: server.meta.id, model: checkpoint)
            }
        case .targetGone: throw Stop(reason: "its \(job.target.rawValue) was deleted")
        case .lost: throw Stop(reason: "cancelled while it ran")
        }
    }

    /// The attempt is written before anything is sent, in one transaction with its `started`
    /// event: server, count, model and a new lease. Counted first, so a job that kills the
    /// process before it reaches the server still uses up its attempts, and other processes
    /// count it on this server at once (docs/decisions.md).
    private func recordStart(checkpoint: String) async throws {
        let markBatch = dispatcher.batchNeedsStart(job)
        let (job, server, owner, leaseSeconds) = (job, server, dispatcher.owner, settings.leaseSeconds)
        let held = try await database.transaction { tx in
            try await Self.writeStart(
                of: job, on: server, checkpoint: checkpoint, owner: owner, leaseSeconds: leaseSeconds, markBatch: markBatch, in: tx)
        }
        guard held else { throw Stop(reason: "no longer held (cancelled or taken over)") }
        start.recorded()
        if markBatch { dispatcher.batchStarted(job) }
    }

    /// Writes an attempt's start in `tx`; false when `owner` no longer holds the job.
    static func writeStart(
        of job: GenerationJob, on server: GenerationServer, checkpoint: String, owner: String, leaseSeconds: Double, markBatch: Bool,
        in tx: Transaction
    ) async throws -> Bool {
        let changes = Changes([
            "server_id": DatabaseValue(server.meta.id), "attempts": .integer(job.attempts + 1), "model": .text(checkpoint), "error": .null,
            "lease_until": DatabaseValue(Timestamp.now().adding(seconds: leaseSeconds)),
            // A new attempt starts from step 0.
            "progress_value": .null, "progress_max": .null, "progress_at": .null,
        ])
        guard let held = try await tx.jobs.updateHeld(id: job.meta.id, owner: owner, changes) else { return false }
        try await JobStart.record(held, in: tx, markBatch: markBatch)
        return true
    }

    /// The checkpoint `job` will be sent with to `candidate` when nothing stands between its
    /// claim and its sending: no first frame to read, a model known, a graph the server can
    /// run. `perform` decides the same from the same values.
    static func sendable(_ job: GenerationJob, on candidate: ServerCandidate) -> String? {
        guard job.generationType != .video, let checkpoint = job.model ?? candidate.status.capabilities.checkpoints.first else {
            return nil
        }
        if candidate.server.serverType == .comfyui, !candidate.status.capabilities.nodeTypes.isEmpty,
            !Workflow.problems(of: job.workflow(checkpoint: checkpoint, image: nil), on: candidate.status.capabilities).isEmpty
        {
            return nil
        }
        return checkpoint
    }

    /// The upstream's id, once it took the work and before it is followed (RunPod); a job
    /// cancelled meanwhile has it taken back.
    private func recordUpstream(_ id: String, cancel: @Sendable () async -> Void) async throws {
        do {
            try await hold(Changes(["upstream_id": .text(id)]))
        } catch is CancellationError {
            // The process is stopping: the job goes back to the queue, its run with it.
            throw CancellationError()
        } catch {
            await cancel()
            throw error
        }
    }

    /// The upstream's id, written beside a running prompt: best effort. Nothing reads it to
    /// decide anything, and a job cancelled meanwhile is seen by the follow loop's look at its
    /// row, which interrupts the prompt. Interrupting it from here would make ComfyUI report
    /// an error that the server's breaker is then charged with, for a database's hiccup.
    private func noteUpstream(_ id: String) async {
        do {
            try await hold(Changes(["upstream_id": .text(id)]))
        } catch is CancellationError {
        } catch is Stop {
        } catch {
            dispatcher.logger.warning(
                "the upstream id of a running job could not be written",
                metadata: ["job_id": "\(job.meta.id.lowercasedString)", "error": "\(error)"]
            )
        }
    }

    /// Changes the job while this process still holds it; stops the run when it does not.
    private func hold(_ changes: Changes) async throws {
        var changes = changes
        changes.set("lease_until", DatabaseValue(Timestamp.now().adding(seconds: settings.leaseSeconds)))
        guard try await database.jobs.updateHeld(id: job.meta.id, owner: dispatcher.owner, changes) != nil else {
            throw Stop(reason: "no longer held (cancelled or taken over)")
        }
    }

    /// The outputs, stored, and the progress not yet written (the last steps of a prompt that
    /// ended between two writes): it goes into the completing transaction.
    private func runOnComfyUI(
        _ graph: JSONValue, source: SourceImage?, checkpoint: String
    ) async throws -> ([StoredOutput], JobResults.LastStep?) {
        let client = ComfyUIClient(http: dispatcher.http, server: server, timeout: settings.requestTimeout)
        var graph = graph
        if let source {
            // Into the server's input folder first; it may file it under another name.
            let stored = try await client.uploadImage(source.data, name: source.name)
            if stored != source.name { graph = job.workflow(checkpoint: checkpoint, image: stored) }
        }
        // ComfyUI sends a prompt's messages only to the client id that queued it: the prompt
        // goes under the id of the server's shared socket, which hands them to this watch.
        let hub = self.hub ?? dispatcher.sockets.hub(for: server)
        let watch = JobWatch()
        let clientID = hub.register(watch)
        defer { hub.unregister(watch) }
        // The prompt is sent once the socket is open (or gone), so its first messages are not missed.
        await watch.settle(timeout: .seconds(min(2, settings.requestTimeout)))
        let early = EarlyOutputs(fresh: .seconds(min(60, dispatcher.media.orphanGraceSeconds / 2)))
        let files = try await follow(promptOn: client, clientID: clientID, graph: graph, watch: watch, hub: hub, early: early)
        let collecting = ContinuousClock.now
        var stored: [StoredOutput] = []
        for file in files {
            if let ready = early.take(file) {
                stored.append(ready)
            } else {
                stored.append(try await store(file, from: client))
            }
        }
        _ = dispatcher.phases.record(.collect, since: collecting)
        let last = watch.due(interval: Self.updateInterval, final: true)
        return (stored, last.progress.map { ($0.value, $0.max, last.signAt) })
    }

    /// Sends the prompt and follows it until `/history` has its outputs.
    private func follow(
        promptOn client: ComfyUIClient, clientID: String, graph: JSONValue, watch: JobWatch, hub: ComfyUISocketHub, early: EarlyOutputs
    ) async throws -> [UpstreamOutput] {
        let promptID = try await client.submit(graph, clientID: clientID)
        let sent = dispatcher.phases.record(.prepare, since: claimedAt)
        hub.bind(promptID, to: watch)
        // Written while the prompt runs, and done before the run ends either way.
        async let upstreamNoted: Void = noteUpstream(promptID)
        let outputs = try await follow(watch: watch, cancel: { try? await client.cancel(promptID) }) {
            () async throws -> [UpstreamOutput]? in
            // Completion is confirmed by `/history` whatever the socket said; the files the socket
            // announced are downloaded meanwhile, and kept only if the history lists them.
            async let fetched: Void = fetchEarly(early.claim(watch.announcedOutputs), from: client, into: early)
            let state = try await client.state(of: promptID)
            await fetched
            switch state {
            case .pending: return nil
            case .failed(let message): throw UpstreamError(.transient, message)
            case .succeeded(let outputs): return outputs
            }
        }
        await upstreamNoted
        _ = dispatcher.phases.record(.upstream, since: sent)
        return outputs
    }

    /// Downloads one output into the media store and registers it there.
    private func store(_ file: UpstreamOutput, from client: ComfyUIClient) async throws -> StoredOutput {
        let response = try await client.download(file, timeout: settings.downloadTimeout)
        let length = response.headers.first(name: "Content-Length").flatMap(Int.init)
        let received = try await dispatcher.media.receive(
            response.body.map { Array($0.readableBytesView) }, expected: .generated, declaredLength: length)
        try await dispatcher.media.commit(received, database: database)
        return StoredOutput(
            file: received.file, isVideo: file.isVideo || received.file.contentType.hasPrefix("video/"), justCommitted: true)
    }

    /// Best effort: a file that fails here is downloaded again once `/history` lists it, and
    /// that download's error is the one the job reports. One the history does not list stays
    /// unreferenced and is removed with the store's orphans.
    private func fetchEarly(_ files: [UpstreamOutput], from client: ComfyUIClient, into early: EarlyOutputs) async {
        for file in files {
            do {
                early.keep(try await store(file, from: client), for: file)
            } catch {
                dispatcher.logger.debug(
                    "an announced output could not be fetched early",
                    metadata: ["job_id": "\(job.meta.id.lowercasedString)", "error": "\(error)"])
            }
        }
    }

    private func runOnRunPod(_ graph: JSONValue, source: SourceImage?) async throws -> [StoredOutput] {
        let client = RunPodClient(http: dispatcher.http, server: server, timeout: settings.requestTimeout)
        let runID = try await client.run(graph, images: source.map { [($0.name, $0.data)] } ?? [])
        let sent = dispatcher.phases.record(.prepare, since: claimedAt)
        try await recordUpstream(runID) { try? await client.cancel(runID) }
        let outputs = try await follow(cancel: { try? await client.cancel(runID) }) { () async throws -> [RunPodOutput]? in
            switch try await client.state(of: runID) {
            case .pending: return nil
            case .failed(let message): throw UpstreamError(.transient, message)
            case .succeeded(let outputs): return outputs
            }
        }
        let collecting = dispatcher.phases.record(.upstream, since: sent)
        var stored: [StoredOutput] = []
        for output in outputs {
            let received: ReceivedMedia
            switch output {
            case .bytes(_, let data):
                received = try await dispatcher.media.receive(
                    OneChunk(bytes: Array(data)), expected: .generated, declaredLength: data.count)
            case .url(let name, _):
                // Outputs in a bucket need its credentials; worker-comfyui sends base64 unless told otherwise.
                throw UpstreamError(.permanent, "output \(name) was sent as an S3 URL; configure the endpoint to return base64 images")
            }
            try await dispatcher.media.commit(received, database: database)
            // worker-comfyui lists an animated WebP among its images: what the job asked for decides.
            let isVideo =
                job.generationType == .video || received.file.contentType.hasPrefix("video/") || received.file.contentType == "image/gif"
            stored.append(StoredOutput(file: received.file, isVideo: isVideo, justCommitted: true))
        }
        _ = dispatcher.phases.record(.collect, since: collecting)
        return stored
    }

    /// Progress and previews of one job are written at most this often.
    static let updateInterval = Duration.milliseconds(250)

    /// Polls `look` until it returns a result, keeping the lease alive, stopping (and
    /// cancelling upstream) when the job is cancelled here, and giving up when the job shows
    /// no sign of progress for the stall timeout. With a `watch` (ComfyUI's websocket) its
    /// progress and previews are written as they come, `look` is asked when the socket says
    /// the prompt is over (or, as a safety net, now and then), and the stall timeout counts
    /// from the last message; without one (or once the socket is gone) `look` is polled. The
    /// decisions are `FollowStateMachine`'s; this does what it asks and tells it how it went.
    private func follow<T: Sendable>(
        watch: JobWatch? = nil, cancel: @Sendable () async -> Void, _ look: @Sendable () async throws -> T?
    ) async throws -> T {
        let clock = ContinuousClock()
        // Without a socket nothing feeds the watch: it only holds the loop's state.
        let machine = watch ?? JobWatch(now: clock.now)
        let configuration = FollowStateMachine.Configuration(
            socket: watch != nil, poll: .milliseconds(Int64(settings.pollInterval * 1000)), updateInterval: Self.updateInterval,
            stallTimeout: .milliseconds(Int64(settings.stallTimeout * 1000)), heartbeat: .seconds(settings.leaseSeconds / 3))
        let start = clock.now
        var action = machine.step { $0.start(configuration, now: start) }
        while true {
            switch action {
            case .wait(let duration, let wakeable):
                if wakeable { try await machine.nap(duration) } else { try await Task.sleep(for: duration) }
                let now = clock.now
                action = machine.step { $0.waited(now: now) }
            case .checkRow:
                let current = try await database.jobs.find(id: job.meta.id)
                let held = current.map { $0.status == .running && $0.leaseOwner == dispatcher.owner } ?? false
                let now = clock.now
                action = machine.step { $0.rowChecked(held: held, now: now) }
            case .write(let updates):
                let held = try await record(updates)
                let now = clock.now
                action = machine.step { $0.written(held: held, now: now) }
            case .look:
                if let result = try await look() { return result }
                let now = clock.now
                action = machine.step { $0.historyPending(now: now) }
            case .renewLease:
                try await hold(Changes())
                let now = clock.now
                action = machine.step { $0.leaseRenewed(now: now) }
            case .stop:
                await cancel()
                throw Stop(reason: "cancelled while it ran")
            case .stalled:
                await cancel()
                // It may be the server that is wedged: find out now, not at its next scheduled check.
                _ = try? await dispatcher.monitor.check(server)
                throw UpstreamError(.transient, "no sign of progress for \(Self.seconds(settings.stallTimeout)) s; interrupted")
            }
        }
    }

    /// Writes the job's latest progress and preview, with their events, in one transaction
    /// that also renews the lease; false when the job is no longer held.
    private func record(_ updates: JobWatch.Updates) async throws -> Bool {
        var changes = Changes([
            "progress_at": DatabaseValue(updates.signAt),
            "lease_until": DatabaseValue(Timestamp.now().adding(seconds: settings.leaseSeconds)),
        ])
        if let progress = updates.progress {
            changes.set("progress_value", .integer(progress.value))
            changes.set("progress_max", .integer(progress.max))
        }
        let jobID = job.meta.id
        let owner = dispatcher.owner
        let held = try await database.transaction { tx -> Bool in
            // First the job row: on PostgreSQL this locks it, so a cancel waits for this
            // transaction and its status change then removes the preview written here.
            guard let held = try await tx.jobs.updateHeld(id: jobID, owner: owner, changes) else { return false }
            // The preview before the step it shows: a stream's last word before the end is
            // then always the step, however the prompt's messages fell between two writes.
            var events: [JobEvent] = []
            if let preview = updates.preview {
                let sequence = try await tx.jobPreviews.put(jobID: jobID, contentType: preview.contentType, bytes: preview.bytes)
                events.append(JobEvent.preview(of: held, sequence: sequence, contentType: preview.contentType))
            }
            if updates.progress != nil { events.append(JobEvent.of(held, .progress)) }
            try await tx.jobEvents.append(events)
            return true
        }
        return held
    }

    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(format: "%.1f", value)
    }
}

/// A body that is already in memory, as the chunk sequence the media store reads.
struct OneChunk: AsyncSequence, Sendable {
    let bytes: [UInt8]

    struct AsyncIterator: AsyncIteratorProtocol {
        var bytes: [UInt8]?
        mutating func next() async throws -> [UInt8]? {
            defer { bytes = nil }
            return bytes
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(bytes: bytes) }
}

/// Outputs of a ComfyUI prompt fetched as soon as its socket announced them, while `/history`
/// was asked whether they are its result.
final class EarlyOutputs: Sendable {
    private struct State {
        var tried: Set<UpstreamOutput> = []
        var stored: [UpstreamOutput: (output: StoredOutput, at: ContinuousClock.Instant)] = [:]
    }

    /// An output registered longer ago than this is registered again by the attaching
    /// transaction: well inside the store's orphan grace, which may be set short.
    let fresh: Duration

    private let state = Mutex(State())

    init(fresh: Duration) {
        self.fresh = fresh
    }

    /// Those of `files` not tried yet, now marked as tried: each is fetched early at most once.
    func claim(_ files: [UpstreamOutput]) -> [UpstreamOutput] {
        state.withLock { state in files.filter { state.tried.insert($0).inserted } }
    }

    func keep(_ output: StoredOutput, for file: UpstreamOutput, now: ContinuousClock.Instant = .now) {
        state.withLock { $0.stored[file] = (output, now) }
    }

    /// The stored output of `file`, if it was fetched early.
    func take(_ file: UpstreamOutput, now: ContinuousClock.Instant = .now) -> StoredOutput? {
        state.withLock { state in
            guard let entry = state.stored.removeValue(forKey: file) else { return nil }
            var output = entry.output
            output.justCommitted = now - entry.at < fresh
            return output
        }
    }
}

/// Whether an attempt's start has been written (then its failure need not say it started).
final class RunStart: Sendable {
    private let done = Atomic<Bool>(false)

    var isRecorded: Bool { done.load(ordering: .acquiring) }

    func recorded() { done.store(true, ordering: .releasing) }
}
