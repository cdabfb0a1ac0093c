import Foundation
import StoryboardCore
import StoryboardDatabase
import Synchronization

/// A request to generate for a clip (`POST /api/clips/{id}/generate`), validated.
public struct GenerateRequest: Sendable {
    public var generationType: GenerationType
    public var serverID: UUID?
    public var model: String?
    public var params: GenerationParams
    public var count: Int
    public var preset: Preset?
    public var replacePending: Bool
    public var priority: Int
    /// The clip's gallery (default), or the project's generation pool.
    public var destination: JobDestination
    /// A user-supplied workflow to run instead of the built-in graph.
    public var workflowID: UUID?

    public init(
        generationType: GenerationType = .image, serverID: UUID? = nil, model: String? = nil, params: GenerationParams = GenerationParams(),
        count: Int = 1,
        preset: Preset? = nil, replacePending: Bool = false, priority: Int = 0, destination: JobDestination = .gallery,
        workflowID: UUID? = nil
    ) {
        self.generationType = generationType
        self.serverID = serverID
        self.model = model
        self.params = params
        self.count = count
        self.preset = preset
        self.replacePending = replacePending
        self.priority = priority
        self.destination = destination
        self.workflowID = workflowID
    }

    public static let maxCount = 16
}

/// A character sample request (`POST /api/characters/{id}/samples`).
public struct SampleRequest: Sendable {
    public var count: Int
    public var prompt: String?
    public var serverID: UUID?
    public var model: String?

    public init(count: Int = 4, prompt: String? = nil, serverID: UUID? = nil, model: String? = nil) {
        self.count = count
        self.prompt = prompt
        self.serverID = serverID
        self.model = model
    }
}

/// Filters of `GET /api/jobs`.
public struct JobQuery: Sendable {
    public var status: JobStatus?
    public var clipID: UUID?
    public var batchID: UUID?
    public var projectID: UUID?
    public var characterID: UUID?

    public init(status: JobStatus? = nil, clipID: UUID? = nil, batchID: UUID? = nil, projectID: UUID? = nil, characterID: UUID? = nil) {
        self.status = status
        self.clipID = clipID
        self.batchID = batchID
        self.projectID = projectID
        self.characterID = characterID
    }
}

/// The queue as clients see it: queue work, look at it, cancel it, run it again.
public struct JobService: Sendable {
    let database: Database
    /// Called after jobs are queued or cancelled, so a dispatcher in this process acts at once.
    let wakeup: JobWakeup

    public init(database: Database, wakeup: JobWakeup = JobWakeup()) {
        self.database = database
        self.wakeup = wakeup
    }

    // MARK: - Queue

    /// Queues `count` jobs for a clip with the final prompt and merged parameters; with
    /// `replacePending`, the clip's queued jobs are cancelled first, in the same transaction.
    public func generate(clipID: UUID, _ request: GenerateRequest) async throws -> [GenerationJob] {
        let jobs = try await database.transaction { tx in
            let clip = try await tx.clips.get(id: clipID)
            try await Self.checkServer(request.serverID, model: request.model, loras: (request.params.loras ?? []).map(\.name), in: tx)
            if request.replacePending {
                let batches = try await tx.jobs.cancelUnfinished(
                    Filter.equals("clip_id", DatabaseValue(clipID)).and(.equals("status", .text(JobStatus.queued.rawValue))),
                    reason: "replaced by a newer request"
                )
                try await tx.batches.refreshAll(batches)
            }
            let workflow = try await QueuedWorkflow.resolve(request, in: tx)
            let jobs = try await Self.jobs(for: clip, request, workflow: workflow, batchID: nil, in: tx)
            try await tx.jobs.createAll(jobs)
            try await tx.jobEvents.append(jobs.map { JobEvent.of($0, .queued) })
            return jobs
        }
        wakeup.notify()
        return jobs
    }

    /// The jobs for one clip: the final prompt (the clip's, with its character's trigger words
    /// once), the merged parameters, one seed each. Nothing is written.
    static func jobs(
        for clip: Clip, _ request: GenerateRequest, workflow: QueuedWorkflow?, batchID: UUID?, in tx: Transaction
    ) async throws -> [GenerationJob] {
        let character = try await clip.characterID.asyncMap { try await tx.characters.find(id: $0) } ?? nil
        let template = try await clip.styleTemplateID.asyncMap { try await tx.styleTemplates.find(id: $0) } ?? nil
        let basePrompt = request.generationType == .image ? clip.imagePrompt : (clip.videoPrompt ?? clip.imagePrompt)
        var prompt = (basePrompt ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        if let character { prompt = PromptComposer.apply(character, to: prompt) }
        guard !prompt.isEmpty else {
            throw AppError.validation([
                "\(request.generationType == .image ? "image" : "video")_prompt": "the clip has no prompt to generate from"
            ])
        }
        // Image-to-video starts from the clip's selected still, fixed when the job is queued.
        var source: String?
        if request.generationType == .video {
            guard let selected = clip.selectedImageID, let item = try await tx.galleryItems.find(id: selected), let file = item.mediaFileID
            else {
                throw AppError.validation([
                    "selected_image_id": "video generation starts from the clip's selected image; select or generate one first"
                ])
            }
            source = file
        }
        var errors = FieldErrors()
        let templateParams = GenerationParams(
            json: template?.defaultParams.flatMap(JSONValue.init(text:)), field: "style_template.default_params", errors: &errors)
        // A stored template that no longer validates is left out rather than failing every job.
        let usableTemplate = errors.isEmpty ? templateParams : GenerationParams()
        let base = request.model.map(BaseModel.detect(fileName:)) ?? .unknown
        let params = GenerationParams.merged(
            generationType: request.generationType, base: base, preset: request.preset, template: usableTemplate, request: request.params,
            characterLora: character?.lora)
        if let limit = ModelPresets.maxLoras(for: base), (params.loras?.count ?? 0) > limit {
            throw AppError.validation(["params.loras": "\(base.rawValue) models take at most \(limit) LoRAs"])
        }
        let negative = clip.negativePrompt ?? template?.negativePromptTemplate ?? ModelPresets.defaultNegative(for: base)
        let model = request.model ?? workflow?.model
        let now = Timestamp.now()
        return Self.seeds(params.seed, count: request.count).map { seed in
            var jobParams = params
            jobParams.seed = seed
            return GenerationJob(
                meta: RecordMetadata(createdAt: now, updatedAt: now), projectID: clip.projectID, clipID: clip.meta.id, batchID: batchID,
                target: .clip,
                destination: request.destination, generationType: request.generationType, priority: request.priority,
                preferredServerID: request.serverID, model: model,
                prompt: prompt, negativePrompt: negative, params: jobParams.json.text, sourceMediaID: source, workflowID: workflow?.id,
                customWorkflow: workflow?.snapshot
            )
        }
    }

    /// N sample images of a character, each with its own seed, for its own gallery (docs/domain.md):
    /// "{prompt} {trigger words}, {description}", or "portrait of {name}, high quality, detailed".
    public func samples(characterID: UUID, _ request: SampleRequest) async throws -> [GenerationJob] {
        let jobs = try await database.transaction { tx in
            let character = try await tx.characters.get(id: characterID)
            try await Self.checkServer(request.serverID, model: request.model, loras: [], in: tx)
            let prompt = PromptComposer.samplePrompt(for: character, given: request.prompt)
            let base = request.model.map(BaseModel.detect(fileName:)) ?? .unknown
            var params = GenerationParams.builtInDefaults.overlaid(by: ModelPresets.params(for: base, preset: .fast))
            if let lora = character.lora, !lora.isEmpty { params.loras = [LoraUse(name: lora)] }
            let now = Timestamp.now()
            let jobs = Self.seeds(nil, count: request.count).map { seed in
                var jobParams = params
                jobParams.seed = seed
                return GenerationJob(
                    meta: RecordMetadata(createdAt: now, updatedAt: now), projectID: character.projectID, characterID: character.meta.id,
                    target: .character,
                    generationType: .image, preferredServerID: request.serverID, model: request.model, prompt: prompt,
                    negativePrompt: ModelPresets.defaultNegative(for: base), params: jobParams.json.text
                )
            }
            try await tx.jobs.createAll(jobs)
            try await tx.jobEvents.append(jobs.map { JobEvent.of($0, .queued) })
            return jobs
        }
        wakeup.notify()
        return jobs
    }

    // MARK: - Look

    public func get(id: UUID) async throws -> GenerationJob {
        try await database.jobs.get(id: id)
    }

    /// The latest preview image of a job: nil before the first one, and once the job has
    /// ended (previews live only while it runs). An unknown job is 404.
    public func preview(id: UUID) async throws -> JobPreview? {
        _ = try await database.jobs.get(id: id)
        return try await database.jobPreviews.find(jobID: id)
    }

    /// Newest first.
    public func list(_ query: JobQuery, limit: Int, cursor: String?) async throws -> Page<GenerationJob> {
        var filter = Filter()
        if let status = query.status { filter = filter.and(.equals("status", .text(status.rawValue))) }
        if let clipID = query.clipID { filter = filter.and(.equals("clip_id", DatabaseValue(clipID))) }
        if let batchID = query.batchID { filter = filter.and(.equals("batch_id", DatabaseValue(batchID))) }
        if let projectID = query.projectID { filter = filter.and(.equals("project_id", DatabaseValue(projectID))) }
        if let characterID = query.characterID { filter = filter.and(.equals("character_id", DatabaseValue(characterID))) }
        return try await database.jobs.findMany(filter, sort: Sort("created_at", descending: true), limit: limit, cursor: cursor)
    }

    // MARK: - Change

    /// Cancels a queued or running job at once, whatever its server is doing: the dispatcher
    /// holding it sees the change at its next look and interrupts the prompt upstream.
    /// A finished job is 409.
    public func cancel(id: UUID) async throws -> GenerationJob {
        let job = try await database.transaction { tx in
            let current = try await tx.jobs.get(id: id, forUpdate: true)
            guard !current.status.isFinished else {
                throw AppError(
                    .conflict, "Job \(id.lowercasedString) has already \(current.status.rawValue)",
                    details: ["status": .string(current.status.rawValue)])
            }
            guard let cancelled = try await tx.jobs.move(id: id, to: .cancelled, Changes(["error": .text("cancelled by request")])) else {
                throw AppError(.conflict, "Job \(id.lowercasedString) changed while being cancelled; try again")
            }
            try await tx.jobEvents.append([JobEvent.of(cancelled, .cancelled)])
            if let batch = cancelled.batchID { try await tx.batches.refresh(batch) }
            return cancelled
        }
        wakeup.notify()
        return job
    }

    /// Runs a failed or cancelled job again, as a new job with the same prompt and parameters
    /// (a finished job never moves again; the new one points at the same clip or character,
    /// and the old one at the new one, so a batch counts only the latest). Once per job.
    public func retry(id: UUID) async throws -> GenerationJob {
        let job = try await database.transaction { tx in
            let old = try await tx.jobs.get(id: id, forUpdate: true)
            guard old.status == .failed || old.status == .cancelled else {
                throw AppError(
                    .conflict, "Only a failed or cancelled job can be retried; job \(id.lowercasedString) is \(old.status.rawValue)")
            }
            if let newer = old.retriedBy {
                throw AppError(
                    .conflict, "Job \(id.lowercasedString) was already retried as \(newer.lowercasedString)",
                    details: ["retried_by": .string(newer.lowercasedString)])
            }
            if let clipID = old.clipID { _ = try await tx.clips.get(id: clipID) }
            if let characterID = old.characterID { _ = try await tx.characters.get(id: characterID) }
            let fresh = try await Self.rerun(old, in: tx)
            if let batch = old.batchID { try await tx.batches.refresh(batch) }
            return fresh
        }
        wakeup.notify()
        return job
    }

    /// Moves a queued job up or down the queue (the claim takes the highest priority first).
    /// A job that has started or finished is 409: its place in the queue is behind it.
    public func setPriority(id: UUID, priority: Int, expectedVersion: Int?) async throws -> GenerationJob {
        if let changed = try await database.jobs.setPriority(id: id, priority, expectedVersion: expectedVersion) { return changed }
        let current = try await database.jobs.get(id: id)
        if let expectedVersion, current.meta.version != expectedVersion {
            throw AppError(
                .preconditionFailed,
                "Job \(id.lowercasedString) was changed by someone else (version \(current.meta.version), expected \(expectedVersion))",
                details: ["current_version": .number(Double(current.meta.version))]
            )
        }
        throw AppError(
            .conflict, "Only a queued job's priority can change; job \(id.lowercasedString) is \(current.status.rawValue)",
            details: ["status": .string(current.status.rawValue)]
        )
    }

    /// Takes the finished jobs (of a project, or of a batch, when named) out of the queue;
    /// how many went. Their media stay where they landed, their batches count them still.
    public func clearFinished(projectID: UUID?, batchID: UUID?) async throws -> Int {
        try await database.transaction { tx in
            var filter = Filter()
            if let projectID {
                _ = try await tx.projects.get(id: projectID)
                filter = filter.and(.equals("project_id", DatabaseValue(projectID)))
            }
            if let batchID {
                _ = try await tx.batches.get(id: batchID)
                filter = filter.and(.equals("batch_id", DatabaseValue(batchID)))
            }
            return try await tx.jobs.clearFinished(filter)
        }
    }

    /// A new queued job doing what `old` did; `old` points at it.
    static func rerun(_ old: GenerationJob, in tx: Transaction) async throws -> GenerationJob {
        let now = Timestamp.now()
        let fresh = GenerationJob(
            meta: RecordMetadata(createdAt: now, updatedAt: now), projectID: old.projectID, clipID: old.clipID,
            characterID: old.characterID,
            batchID: old.batchID, target: old.target, destination: old.destination, generationType: old.generationType,
            priority: old.priority, maxRetries: old.maxRetries,
            preferredServerID: old.preferredServerID, model: old.model, prompt: old.prompt, negativePrompt: old.negativePrompt,
            params: old.params,
            sourceMediaID: old.sourceMediaID, workflowID: old.workflowID, customWorkflow: old.customWorkflow
        )
        try await tx.jobs.create(fresh)
        try await tx.jobEvents.append([JobEvent.of(fresh, .queued)])
        // A job cleared from the queue is still its batch's to retry.
        _ = try await tx.jobs.updateAll(
            .equals("id", DatabaseValue(old.meta.id)), Changes(["retried_by": DatabaseValue(fresh.meta.id)]), includeDeleted: true)
        return fresh
    }

    // MARK: - Helpers

    /// A named server must exist; a named model (and LoRAs) must be on it, or on some server
    /// when none is named, as far as the last checks know. Refused before anything is queued.
    static func checkServer(_ serverID: UUID?, model: String?, loras: [String], in tx: Transaction) async throws {
        if let serverID {
            guard try await tx.servers.find(id: serverID) != nil else {
                throw AppError.validation(["server_id": "is not a registered server"])
            }
        }
        guard model != nil || !loras.isEmpty else { return }
        if let model, !ModelFileName.isValid(model) { throw AppError.validation(["model": "must be a model file name"]) }
        let known = try await tx.serverStatuses.all().filter {
            !$0.capabilities.nodeTypes.isEmpty && (serverID == nil || $0.id == serverID)
        }
        // Nothing checked yet (or a RunPod endpoint, which lists no models): the dispatcher decides.
        guard !known.isEmpty else { return }
        if let model, !known.contains(where: { $0.capabilities.checkpoints.contains(model) }) {
            throw AppError.validation([
                "model": serverID == nil ? "no registered server has the checkpoint \(model)" : "the server has no checkpoint \(model)"
            ])
        }
        for lora in loras where !known.contains(where: { $0.capabilities.loras.contains(lora) }) {
            throw AppError.validation(["params.loras": "no \(serverID == nil ? "registered server" : "such server") has the LoRA \(lora)"])
        }
    }

    /// One seed per job: consecutive from a given seed, random otherwise.
    static func seeds(_ given: Int64?, count: Int) -> [Int64] {
        var generator = SystemRandomNumberGenerator()
        if let given, given >= 0 { return (0..<Int64(count)).map { (given + $0) % (GenerationParams.maxSeed + 1) } }
        var seen = Set<Int64>()
        while seen.count < count { seen.insert(Int64.random(in: 0...GenerationParams.maxSeed, using: &generator)) }
        return Array(seen)
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}

/// Wakes a dispatcher (or the render worker) in this process when jobs are queued or
/// cancelled; other processes see them at their next regular look.
public typealias JobWakeup = WakeSignal

extension WakeSignal {
    /// Returns when notified after `seen`, or after `timeout` seconds.
    func wait(after seen: Int, timeout: Double) async {
        await wait(after: seen, timeout: .milliseconds(Int64(timeout * 1000)))
    }
}
