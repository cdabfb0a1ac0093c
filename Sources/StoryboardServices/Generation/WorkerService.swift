import Foundation
import StoryboardCore
import StoryboardDatabase

/// A job handed to a pull worker: the job, the graph to run and how long the lease lasts.
public struct WorkerAssignment: Sendable {
    public var job: GenerationJob
    public var workflow: JSONValue
    public var checkpoint: String
    /// Image-to-video: the first frame, which the graph's `LoadImage` names (as RunPod's `input.images`).
    public var images: [(name: String, data: Data)]
}

/// Pull workers: GPU boxes that this server cannot reach (behind NAT) call in for work
/// instead of being called. They claim a job for their server under a lease, keep it alive
/// with heartbeats, upload the outputs and complete it — the same queue, lease and
/// exactly-once attachment as the dispatcher's own runs.
public struct WorkerService: Sendable {
    public let database: Database
    let media: MediaStore
    let settings: GenerationSettings

    public init(database: Database, media: MediaStore, settings: GenerationSettings) {
        self.database = database
        self.media = media
        self.settings = settings
    }

    /// Who holds a job a worker of `serverID` claimed.
    static func owner(of serverID: UUID) -> String { "worker:\(serverID.lowercasedString)" }

    /// The next job for the server, or nil when there is none or the server is at capacity.
    /// `checkpoints` are the model files the worker has: a job naming another one is left for
    /// a server that has it; one naming none runs with the first.
    public func claim(serverID: UUID, checkpoints: [String]) async throws -> WorkerAssignment? {
        let server = try await database.servers.get(id: serverID)
        guard server.pullMode else {
            throw AppError(
                .conflict, "Server \(serverID.lowercasedString) is not in pull mode; the dispatcher sends its work",
                details: ["pull_mode": false])
        }
        guard server.isActive else {
            throw AppError(.conflict, "Server \(serverID.lowercasedString) is not active", details: ["is_active": false])
        }
        // No dispatcher may run anywhere: a worker that died mid-job must not hold it forever.
        try await database.transaction { tx in
            try await tx.batches.refreshAll(try await tx.jobs.recoverExpiredLeases().failedBatches)
        }
        let running = try await database.jobs.runningCountByServer()[serverID] ?? 0
        guard running < server.maxConcurrent else { return nil }
        let owner = Self.owner(of: serverID)
        guard
            let claimed = try await database.jobs.claim(
                forServer: serverID, checkpoints: checkpoints, owner: owner, leaseSeconds: settings.leaseSeconds)
        else {
            return nil
        }
        guard let checkpoint = claimed.model ?? checkpoints.first else {
            // Nothing to run it with: back to the queue for a server that lists its models.
            _ = try await database.jobs.move(
                id: claimed.meta.id, to: .queued, owner: owner, Changes(["attempts": .integer(claimed.attempts - 1)]))
            return nil
        }
        guard let job = try await database.jobs.updateHeld(id: claimed.meta.id, owner: owner, Changes(["model": .text(checkpoint)])) else {
            return nil
        }
        let source: SourceImage?
        do {
            source = try await SourceImage.load(for: job, database: database, media: media)
        } catch let error as UpstreamError {
            _ = try await fail(jobID: job.meta.id, message: error.message, retryable: false, unannounced: true)
            return nil
        }
        try await database.transaction { tx in try await JobStart.record(job, in: tx) }
        return WorkerAssignment(
            job: job, workflow: job.workflow(checkpoint: checkpoint, image: source?.name), checkpoint: checkpoint,
            images: source.map { [($0.name, $0.data)] } ?? []
        )
    }

    /// Keeps the lease alive (and records progress when the worker sends it). A job that is
    /// no longer the worker's (cancelled, or taken over after its lease ran out) is 409, so
    /// the worker stops it.
    public func heartbeat(jobID: UUID, progress: (value: Int, max: Int)?) async throws -> GenerationJob {
        let job = try await held(jobID)
        let now = Timestamp.now()
        var changes = Changes(["lease_until": DatabaseValue(now.adding(seconds: settings.leaseSeconds))])
        if let progress {
            changes.set("progress_value", .integer(progress.value))
            changes.set("progress_max", .integer(progress.max))
            changes.set("progress_at", DatabaseValue(now))
        }
        guard let serverID = job.serverID else { throw Self.notHeld(job) }
        // The job row and its progress event together, as the dispatcher writes them.
        let updated = try await database.transaction { tx -> GenerationJob? in
            guard let updated = try await tx.jobs.updateHeld(id: jobID, owner: Self.owner(of: serverID), changes) else { return nil }
            if progress != nil { try await tx.jobEvents.append([JobEvent.of(updated, .progress)]) }
            return updated
        }
        guard let updated else { throw Self.notHeld(try await database.jobs.get(id: jobID)) }
        return updated
    }

    /// The job, if a pull worker holds it; 409 otherwise (404 when it does not exist).
    public func held(_ jobID: UUID) async throws -> GenerationJob {
        let job = try await database.jobs.get(id: jobID)
        guard job.status == .running, let serverID = job.serverID, job.leaseOwner == Self.owner(of: serverID) else {
            throw Self.notHeld(job)
        }
        return job
    }

    /// One output of a job the worker holds, the body being the file (an image or video, decided
    /// from the bytes); `complete` then names it by its media id.
    public func uploadOutput<Chunks: AsyncSequence>(
        jobID: UUID, _ chunks: Chunks, declaredLength: Int?
    ) async throws -> MediaFile where Chunks.Element == [UInt8] {
        _ = try await held(jobID)
        return try await MediaCatalog(store: media, database: database).accept(
            chunks, expected: .generated, declaredLength: declaredLength
        ) { $0.file }
    }

    /// Ends the job with the uploaded outputs (media ids from `POST /api/jobs/{id}/outputs`),
    /// attached exactly once in the transaction that ends the job.
    public func complete(jobID: UUID, mediaIDs: [String]) async throws -> GenerationJob {
        let job = try await held(jobID)
        guard !mediaIDs.isEmpty else { throw AppError.validation(["outputs": "must list at least one uploaded output"]) }
        var outputs: [StoredOutput] = []
        var errors = FieldErrors()
        for (index, id) in mediaIDs.enumerated() {
            // Only what POST …/outputs accepts: a stored still or video, never some other file of the store (a song).
            guard let file = try await database.mediaFiles.find(id: id),
                file.contentType.hasPrefix("image/") || file.contentType.hasPrefix("video/")
            else {
                errors.add("outputs[\(index)].media_id", "is not an uploaded output")
                continue
            }
            outputs.append(StoredOutput(file: file, isVideo: file.contentType.hasPrefix("video/") || file.contentType == "image/gif"))
        }
        try errors.throwIfAny()
        guard let serverID = job.serverID else { throw Self.notHeld(job) }
        let server = try await database.servers.get(id: serverID, includeDeleted: true)
        switch try await JobResults(database: database).complete(
            job, owner: Self.owner(of: serverID), outputs: outputs, server: server, model: job.model)
        {
        case .succeeded(let ended), .targetGone(let ended): return ended
        case .lost: throw Self.notHeld(try await database.jobs.get(id: jobID))
        }
    }

    /// The worker could not run it: retried (elsewhere too) while attempts are left and the
    /// worker says the failure is transient; failed with its message otherwise.
    /// `unannounced`: the job fails before its start was recorded; its `started` event goes out with the failure.
    public func fail(jobID: UUID, message: String, retryable: Bool, unannounced: Bool = false) async throws -> GenerationJob {
        let job = try await held(jobID)
        guard let serverID = job.serverID else { throw Self.notHeld(job) }
        let failure = JobFailure(
            database: database, retry: RetryPolicy(baseDelay: settings.retryBaseDelay, maxDelay: settings.retryMaxDelay))
        switch try await failure.record(
            job, owner: Self.owner(of: serverID),
            FailedAttempt(attempts: job.attempts, unannounced: unannounced, message: message, retryable: retryable))
        {
        case .retrying(let queued): return queued
        case .failed(let failed): return failed
        case .lost: throw Self.notHeld(try await database.jobs.get(id: jobID))
        }
    }

    static func notHeld(_ job: GenerationJob) -> AppError {
        AppError(
            .conflict,
            "Job \(job.meta.id.lowercasedString) is not held by a pull worker (it is \(job.status.rawValue)); stop working on it",
            details: ["status": .string(job.status.rawValue)]
        )
    }
}
