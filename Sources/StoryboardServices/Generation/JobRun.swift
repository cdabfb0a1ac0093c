import Foundation
import Logging
import StoryboardCore
import StoryboardDatabase
import Synchronization

/// The steps of one attempt of one job on one server: the checks before sending, the
/// attempt's start, the run on ComfyUI or RunPod, the outputs attached. Everything it needs
/// comes in with it: it never calls back up into the loop that claimed the job.
struct JobRun: Sendable {
    /// The job is no longer ours to run (cancelled, its target deleted, or taken over).
    struct Stop: Error {
        var reason: String
    }

    /// What a run needs from the process that claimed its job.
    struct Dependencies: Sendable {
        let database: Database
        let media: MediaStore
        let http: UpstreamHTTP
        let monitor: ServerMonitor
        let results: JobResults
        /// One websocket per ComfyUI server, shared by the jobs running there.
        let sockets: ComfyUISocketHubs
        let phases: JobPhaseMetrics
        let batches: BatchStarts
        let settings: GenerationSettings
        /// Who holds the leases of this process's jobs.
        let owner: String
        let logger: Logger
    }

    let job: GenerationJob
    let server: GenerationServer
    let status: ServerStatus
    /// The server's shared websocket (ComfyUI only).
    let hub: ComfyUISocketHub?
    let dependencies: Dependencies
    let claimedAt: ContinuousClock.Instant
    /// Whether the attempt's start is written yet.
    let start = RunStart()

    func perform() async throws {
        let (database, monitor) = (dependencies.database, dependencies.monitor)
        let checkpoint = job.model ?? status.capabilities.checkpoints.first
        guard let checkpoint else {
            throw UpstreamError(.permanent, "no model was named and \(server.name) lists no checkpoints")
        }
        let source = try await SourceImage.load(for: job, database: database, media: dependencies.media)
        let graph = job.workflow(checkpoint: checkpoint, image: source?.name)
        if server.serverType == .comfyui, !status.capabilities.nodeTypes.isEmpty {
            let problems = Workflow.problems(of: graph, on: status.capabilities)
            if !problems.isEmpty { throw UpstreamError(.permanent, "refused before sending: \(problems.joined(separator: "; "))") }
        }
        if !start.isRecorded { try await recordStart(checkpoint: checkpoint) }
        let lease = JobLease(
            database: database, jobID: job.meta.id, owner: dependencies.owner, leaseSeconds: dependencies.settings.leaseSeconds)
        // It may be the server that is wedged: find out now, not at its next scheduled check.
        let follower = JobFollow(lease: lease, settings: dependencies.settings) { _ = try? await monitor.check(server) }
        let outputs: [StoredOutput]
        var lastStep: JobResults.LastStep?
        switch server.serverType {
        case .comfyui:
            let run = ComfyUIRun(
                job: job, server: server, hub: hub, dependencies: dependencies, lease: lease, follower: follower, claimedAt: claimedAt)
            (outputs, lastStep) = try await run.run(graph, source: source, checkpoint: checkpoint)
        case .runpod:
            let run = RunPodRun(
                job: job, server: server, dependencies: dependencies, lease: lease, follower: follower, claimedAt: claimedAt)
            outputs = try await run.run(graph, source: source)
        }
        guard !outputs.isEmpty else { throw UpstreamError(.permanent, "the workflow finished without any output") }
        let attaching = ContinuousClock.now
        let completion = try await dependencies.results.complete(
            job, owner: dependencies.owner, outputs: outputs, server: server, model: checkpoint, progress: lastStep)
        _ = dependencies.phases.record(.attach, since: attaching)
        switch completion {
        case .succeeded:
            // Judged on the status this job was dispatched with: a healthy server that already
            // ran this model is not touched (the success would change nothing), so the
            // attaching transaction is the job's last write.
            if monitor.breaker.recordingSuccess(status, model: checkpoint, now: .now()) != status {
                await monitor.recordSuccess(serverID: server.meta.id, model: checkpoint)
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
        let markBatch = dependencies.batches.needsStart(job)
        let (job, server, owner, leaseSeconds) = (job, server, dependencies.owner, dependencies.settings.leaseSeconds)
        let held = try await dependencies.database.transaction { tx in
            try await JobLease.writeStart(
                of: job, on: server, checkpoint: checkpoint, owner: owner, leaseSeconds: leaseSeconds, markBatch: markBatch, in: tx)
        }
        guard held else { throw Stop(reason: "no longer held (cancelled or taken over)") }
        start.recorded()
        if markBatch { dependencies.batches.started(job) }
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
}

/// Whether an attempt's start has been written (then its failure need not say it started).
final class RunStart: Sendable {
    private let done = Atomic<Bool>(false)

    var isRecorded: Bool { done.load(ordering: .acquiring) }

    func recorded() { done.store(true, ordering: .releasing) }
}

/// The batches this process has seen leave `queued` (a batch never goes back), so that the
/// batch row is not touched again for each of its jobs. A few bytes each; cleared now and then.
final class BatchStarts: Sendable {
    private let seen = Mutex<Set<UUID>>([])

    /// Whether this process has yet to see `job`'s batch leave `queued`.
    func needsStart(_ job: GenerationJob) -> Bool {
        guard let batch = job.batchID else { return false }
        return seen.withLock { !$0.contains(batch) }
    }

    func started(_ job: GenerationJob) {
        guard let batch = job.batchID else { return }
        seen.withLock { seen in
            if seen.count > 10_000 { seen.removeAll() }
            seen.insert(batch)
        }
    }
}
