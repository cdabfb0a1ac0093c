import Foundation
import StoryboardCore
import StoryboardDatabase

/// What `POST /api/projects/{id}/batches` asks for.
public struct BatchRequest: Sendable {
    public var generationType: GenerationType
    /// nil: every clip of the primary scenes, in timeline order.
    public var clipIDs: [UUID]?
    public var params: GenerationParams
    public var model: String?
    public var preset: Preset?
    public var paramsJSON: JSONValue
    /// The clips' galleries (default), or the project's generation pool.
    public var destination: JobDestination
    /// A user-supplied workflow to run instead of the built-in graph.
    public var workflowID: UUID?

    public init(
        generationType: GenerationType = .image, clipIDs: [UUID]? = nil, params: GenerationParams = GenerationParams(),
        model: String? = nil,
        preset: Preset? = nil, paramsJSON: JSONValue = [:], destination: JobDestination = .gallery,
        workflowID: UUID? = nil
    ) {
        self.generationType = generationType
        self.clipIDs = clipIDs
        self.params = params
        self.model = model
        self.preset = preset
        self.paramsJSON = paramsJSON
        self.destination = destination
        self.workflowID = workflowID
    }
}

/// A batch as clients read it: the row, its latest jobs, and an estimate of the time left.
public struct BatchReport: Sendable {
    public var batch: GenerationBatch
    /// The latest job of each clip (a retried job is replaced by its retry).
    public var results: [GenerationJob]
    public var etaSeconds: Double?
    /// Clips left out of a default batch because they have no prompt.
    public var skippedClipIDs: [UUID] = []
}

/// Whole projects generated at once: one job per clip, queued in one transaction.
public struct BatchService: Sendable {
    let database: Database
    let wakeup: JobWakeup

    public init(database: Database, wakeup: JobWakeup) {
        self.database = database
        self.wakeup = wakeup
    }

    /// Queues the batch and its jobs in one transaction. Named clips must be live clips of the
    /// project with a prompt (400 naming them otherwise); by default every clip of the primary
    /// scenes, and those without a prompt are left out and listed.
    public func create(projectID: UUID, _ request: BatchRequest) async throws -> BatchReport {
        let report = try await database.transaction { tx in
            try await tx.lockProject(projectID)
            let clips: [Clip]
            if let ids = request.clipIDs {
                guard !ids.isEmpty, ids.count <= 5000 else { throw AppError.validation(["clip_ids": "must list 1 to 5000 clips"]) }
                var seen = Set<UUID>()
                let repeated = ids.filter { !seen.insert($0).inserted }
                if !repeated.isEmpty {
                    throw AppError(
                        .validationError, "clip_ids lists a clip more than once",
                        details: [
                            "fields": ["clip_ids": "must list each clip once"],
                            "duplicate_ids": .array(repeated.map { .string($0.lowercasedString) }),
                        ]
                    )
                }
                let found = try await tx.clips.all(
                    Filter([.oneOf("id", ids.map { DatabaseValue($0) })]).and(.equals("project_id", DatabaseValue(projectID))))
                let byID = Dictionary(found.map { ($0.meta.id, $0) }, uniquingKeysWith: { first, _ in first })
                let missing = ids.filter { byID[$0] == nil }
                if !missing.isEmpty {
                    throw AppError(
                        .validationError, "Some clip_ids are not clips of this project",
                        details: [
                            "fields": ["clip_ids": "must be clips of this project"],
                            "missing_ids": .array(missing.map { .string($0.lowercasedString) }),
                        ]
                    )
                }
                clips = ids.compactMap { byID[$0] }
            } else {
                clips = try await tx.clips.onTimeline(projectID: projectID)
            }
            let batch = GenerationBatch(projectID: projectID, generationType: request.generationType, params: request.paramsJSON.text)
            try await tx.batches.create(batch)
            let generate = GenerateRequest(
                generationType: request.generationType, model: request.model, params: request.params, preset: request.preset,
                destination: request.destination,
                workflowID: request.workflowID
            )
            // Read once for every clip; a bad workflow is the request's fault, refused before any clip is skipped for it.
            let workflow = try await QueuedWorkflow.resolve(generate, in: tx)
            var jobs: [GenerationJob] = []
            var skipped: [UUID] = []
            for clip in clips {
                do {
                    jobs += try await JobService.jobs(for: clip, generate, workflow: workflow, batchID: batch.meta.id, in: tx)
                } catch let error as AppError where request.clipIDs == nil && error.code == .validationError {
                    skipped.append(clip.meta.id)
                }
            }
            guard !jobs.isEmpty else { throw AppError.validation(["clip_ids": "none of the clips has a prompt to generate from"]) }
            try await tx.jobs.createAll(jobs)
            try await tx.jobEvents.append(jobs.map { JobEvent.of($0, .queued) })
            let refreshed = try await tx.batches.refresh(batch.meta.id) ?? batch
            return BatchReport(batch: refreshed, results: jobs, etaSeconds: nil, skippedClipIDs: skipped)
        }
        wakeup.notify()
        return report
    }

    public func list(projectID: UUID, status: BatchStatus?, limit: Int, cursor: String?) async throws -> Page<GenerationBatch> {
        _ = try await database.projects.get(id: projectID)
        var filter = Filter.equals("project_id", DatabaseValue(projectID))
        if let status { filter = filter.and(.equals("status", .text(status.rawValue))) }
        return try await database.batches.findMany(filter, sort: Sort("created_at", descending: true), limit: limit, cursor: cursor)
    }

    public func report(id: UUID) async throws -> BatchReport {
        let batch = try await database.batches.get(id: id)
        let jobs = try await database.jobs.all(Self.latestJobs(of: id), includeDeleted: true)
        return BatchReport(batch: batch, results: jobs, etaSeconds: try await eta(for: jobs))
    }

    /// Cancels every unfinished job of the batch, in one transaction; the batch ends cancelled.
    public func cancel(id: UUID) async throws -> BatchReport {
        try await database.transaction { tx in
            let batch = try await tx.batches.get(id: id)
            // Project, then jobs, then the batch row: the order every writer of these takes.
            try await tx.lockProject(batch.projectID)
            guard !batch.status.isFinished else {
                throw AppError(
                    .conflict, "Batch \(id.lowercasedString) has already \(batch.status == .cancelled ? "been cancelled" : "finished")",
                    details: ["status": .string(batch.status.rawValue)])
            }
            try await tx.jobs.cancelUnfinished(.equals("batch_id", DatabaseValue(id)), reason: "its batch was cancelled")
            _ = try await tx.batches.updateAll(.equals("id", DatabaseValue(id)), Changes(["status": .text(BatchStatus.cancelled.rawValue)]))
            _ = try await tx.batches.refresh(id)
        }
        wakeup.notify()
        return try await report(id: id)
    }

    /// Queues every failed job of the batch again (as new jobs); the batch runs again.
    public func retryFailed(id: UUID) async throws -> BatchReport {
        try await database.transaction { tx in
            let batch = try await tx.batches.get(id: id)
            try await tx.lockProject(batch.projectID)
            var failed = try await tx.jobs.all(
                Self.latestJobs(of: id).and(.equals("status", .text(JobStatus.failed.rawValue))), includeDeleted: true)
            // A job cleared from the queue stays in its batch, but not once its clip is in the trash.
            let liveClips = try await tx.clips.all(Filter([.oneOf("id", Set(failed.compactMap(\.clipID)).map { DatabaseValue($0) })]))
            failed.removeAll { job in job.clipID.map { clip in !liveClips.contains { $0.meta.id == clip } } ?? false }
            guard !failed.isEmpty else { throw AppError(.conflict, "Batch \(id.lowercasedString) has no failed jobs to retry") }
            for job in failed { _ = try await JobService.rerun(job, in: tx) }
            if batch.status == .cancelled {
                _ = try await tx.batches.updateAll(
                    .equals("id", DatabaseValue(id)), Changes(["status": .text(BatchStatus.running.rawValue)]))
            }
            _ = try await tx.batches.refresh(id)
        }
        wakeup.notify()
        return try await report(id: id)
    }

    /// The latest job of each retry chain of a batch, those cleared from the queue included
    /// (they have no deletion; jobs trashed with their clip do). Read with `includeDeleted`.
    static func latestJobs(of batch: UUID) -> Filter {
        Filter.equals("batch_id", DatabaseValue(batch)).and(.isNull("retried_by")).and(.isNull("deletion_id"))
    }

    /// Time left: unfinished jobs × the mean duration of the last jobs that succeeded with the
    /// same models, spread over the capacity of the servers online now. nil without history.
    func eta(for jobs: [GenerationJob]) async throws -> Double? {
        let unfinished = jobs.filter { !$0.status.isFinished }
        guard !unfinished.isEmpty else { return 0 }
        let models = Set(unfinished.compactMap(\.model))
        var filter = Filter.equals("status", .text(JobStatus.succeeded.rawValue))
        if !models.isEmpty { filter = filter.and(.oneOf("model", models.map { .text($0) })) }
        let recent = try await database.jobs.findMany(filter, sort: Sort("created_at", descending: true), limit: 50).items
        let durations = recent.compactMap { job -> Double? in
            guard let start = job.startedAt, let end = job.finishedAt else { return nil }
            return Double(end.microseconds - start.microseconds) / 1_000_000
        }
        guard !durations.isEmpty else { return nil }
        let mean = durations.reduce(0, +) / Double(durations.count)
        let online = try await database.serverStatuses.all().filter(\.isOnline).map(\.id)
        let servers = try await database.servers.all(
            Filter([.oneOf("id", online.map { DatabaseValue($0) })]).and(.equals("is_active", .bool(true))))
        let capacity = max(1, servers.reduce(0) { $0 + $1.maxConcurrent })
        return (Double(unfinished.count) * mean / Double(capacity) * 10).rounded() / 10
    }
}
