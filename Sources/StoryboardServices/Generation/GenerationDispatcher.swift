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
    let monitor: ServerMonitor
    let settings: GenerationSettings
    let wakeup: JobWakeup
    /// One websocket per ComfyUI server, shared by the jobs running there.
    let sockets: ComfyUISocketHubs
    let phases: JobPhaseMetrics
    let logger: Logger
    /// Who holds a lease: unique per process start, so a restarted process never mistakes a
    /// dead one's jobs for its own.
    public let owner: String
    /// What each run is handed: a run never calls back up into the dispatcher.
    let runs: JobRun.Dependencies
    /// The claim loop's rounds, lease recovery and last writes.
    let queue: LeasedQueueWorker
    /// Jobs this process is running, and on which server.
    private let running = Mutex<[UUID: UUID]>([:])

    public init(
        database: Database, media: MediaStore, http: UpstreamHTTP, settings: GenerationSettings, wakeup: JobWakeup,
        metrics: any MetricsFactory = NOOPMetricsHandler.instance, logger: Logger = Logger(label: "storyboard.dispatcher")
    ) {
        self.database = database
        self.settings = settings
        self.wakeup = wakeup
        self.logger = logger
        let monitor = ServerMonitor(database: database, http: http, settings: settings, logger: logger)
        let results = JobResults(database: database)
        let sockets = ComfyUISocketHubs(logger: logger)
        let phases = JobPhaseMetrics(factory: metrics)
        let owner =
            "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier):\(UUID().uuidString.prefix(8).lowercased())"
        self.monitor = monitor
        self.sockets = sockets
        self.phases = phases
        self.owner = owner
        self.queue = LeasedQueueWorker(
            wakeup: wakeup, leaseSeconds: settings.leaseSeconds, idleWait: min(1, settings.pollInterval * 2),
            roundFailure: "dispatch round failed; trying again shortly",
            persistFailure: "job state could not be written; its lease will expire", logger: logger)
        self.runs = JobRun.Dependencies(
            database: database, media: media, http: http, monitor: monitor, results: results, sockets: sockets, phases: phases,
            batches: BatchStarts(), settings: settings, owner: owner, logger: logger)
    }

    public func run() async throws {
        await queue.run(recover: { await self.recoverLeases() }) { group in
            try await self.dispatchDue(into: &group)
            // Runs end with a wake-up: the next round waits for one, or for a retry's back-off.
            return false
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
            let (owner, leaseSeconds, current, batches) = (owner, settings.leaseSeconds, candidates, runs.batches)
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
                let markBatch = batches.needsStart(job)
                guard
                    try await JobLease.writeStart(
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
            if markedBatch { runs.batches.started(job) }
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

    private func execute(
        _ job: GenerationJob, on server: GenerationServer, status: ServerStatus, hub: ComfyUISocketHub?,
        claimedAt: ContinuousClock.Instant, started: Bool
    ) async {
        let run = JobRun(job: job, server: server, status: status, hub: hub, dependencies: runs, claimedAt: claimedAt)
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
        await queue.persist { [self] in
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
        await queue.persist { [self] in
            _ = try await database.jobs.move(
                id: job.meta.id, to: .queued, owner: owner,
                Changes([
                    "attempts": .integer(job.attempts), "available_at": DatabaseValue(Timestamp.now()), "error": .text(reason),
                    "upstream_id": .null,
                ])
            )
        }
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
