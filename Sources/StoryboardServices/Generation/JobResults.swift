import Foundation
import StoryboardCore
import StoryboardDatabase

/// One stored output of a job, ready to attach.
struct StoredOutput: Sendable {
    var file: MediaFile
    var isVideo: Bool
    /// Its row was registered by `MediaStore.commit` an instant before the attaching
    /// transaction, well inside the orphan grace; an output uploaded earlier (a pull worker's)
    /// is registered again with the attach, so a clean-up in between cannot take it.
    var justCommitted = false
}

/// How a finished run ended in the database.
enum CompletionOutcome: Sendable, Equatable {
    case succeeded(GenerationJob)
    /// The clip or character went to the trash meanwhile: the job ends cancelled.
    case targetGone(GenerationJob)
    /// The job is no longer ours (cancelled, or taken over after a lost lease).
    case lost
}

/// Attaches a job's outputs where they belong and ends the job, in one transaction: the
/// clip's gallery (the first image or video becomes the selection when there is none) or the
/// character's samples. Outputs are attached only together with the job's move to
/// `succeeded`, so a run after a crash finds none attached; the unique (job, output) index
/// is the backstop.
struct JobResults: Sendable {
    let database: Database

    /// A prompt's last progress, not yet written while it ran.
    typealias LastStep = (value: Int, max: Int, at: Timestamp)

    /// `progress` is kept on the job and its event precedes `succeeded`.
    func complete(
        _ job: GenerationJob, owner: String, outputs: [StoredOutput], server: GenerationServer, model: String?, progress: LastStep? = nil
    ) async throws -> CompletionOutcome {
        try await database.transaction { tx in
            var changes = Changes()
            if let progress {
                changes.set("progress_value", .integer(progress.value))
                changes.set("progress_max", .integer(progress.max))
                changes.set("progress_at", DatabaseValue(progress.at))
            }
            let outcome = try await attach(job, owner: owner, outputs: outputs, server: server, model: model, changes: changes, in: tx)
            switch outcome {
            case .succeeded(let ended):
                var events = [JobEvent.of(ended, .succeeded, mediaIDs: outputs.map(\.file.id))]
                if progress != nil {
                    // As it would have been written while running.
                    var running = ended
                    running.status = .running
                    events.insert(JobEvent.of(running, .progress), at: 0)
                }
                // What many jobs write comes last, each locked only from here to the commit: the
                // project's result count (the tree's stamp), the event log's order lock, the
                // batch. The event log before the batch, as a failure and a batch cancel take them.
                try await tx.projects.countResult(of: job.projectID)
                try await tx.jobEvents.append(events)
                if let batch = job.batchID { try await tx.batches.countSucceeded(batch) }
            case .targetGone(let ended):
                try await tx.jobEvents.append([JobEvent.of(ended, .cancelled)])
                if let batch = job.batchID { try await tx.batches.refresh(batch) }
            case .lost: return outcome
            }
            return outcome
        }
    }

    private func attach(
        _ job: GenerationJob, owner: String, outputs: [StoredOutput], server: GenerationServer, model: String?, changes: Changes,
        in tx: Transaction
    ) async throws -> CompletionOutcome {
        // The target's row first, locked, rather than the project's: results for other clips
        // of the project attach side by side. A delete of the clip (or of its scene or
        // project) reaches this row before its children, so it waits for this transaction,
        // and one that committed first leaves nothing live to find (docs/decisions.md).
        let clip = try await job.clipID.asyncMap { try await tx.clips.find(id: $0, forUpdate: true) } ?? nil
        let character = try await job.characterID.asyncMap { try await tx.characters.find(id: $0, forUpdate: true) } ?? nil
        guard clip != nil || character != nil else { return try await end(job, owner: owner, in: tx) }
        let ids = JSONValue.array(outputs.map { .string($0.file.id) })
        var changes = changes
        changes.set("result_media_ids", .text(ids.text))
        guard let ended = try await tx.jobs.move(id: job.meta.id, to: .succeeded, owner: owner, changes) else {
            return .lost
        }
        let seed = job.storedParams.seed
        for (index, output) in outputs.enumerated() {
            if !output.justCommitted { try await tx.mediaFiles.register(output.file) }
            if let clip, job.destination == .pool {
                try await tx.poolItems.create(
                    PoolItem(
                        projectID: clip.projectID, name: outputs.count > 1 ? "\(clip.name) #\(index + 1)" : clip.name,
                        contentType: output.isVideo ? .video : .image,
                        sourceType: job.batchID == nil ? .clipGeneration : .batchGeneration, sourceClipID: clip.meta.id,
                        mediaFileID: output.file.id,
                        generationParams: job.params, metadata: Self.provenance(job, server: server, model: model).text, jobID: job.meta.id,
                        outputIndex: index
                    )
                )
            } else if let clip {
                let kind: MediaKind = output.isVideo ? .video : .image
                let item = try await tx.galleryItems.create(
                    GalleryItem(
                        projectID: clip.projectID, clipID: clip.meta.id, contentType: kind, mediaFileID: output.file.id, prompt: job.prompt,
                        negativePrompt: job.negativePrompt, seed: seed.map { Int($0) }, serverID: server.meta.id, serverName: server.name,
                        modelName: model, modelType: model.map { BaseModel.detect(fileName: $0).rawValue }, generationParams: job.params,
                        jobID: job.meta.id, outputIndex: index
                    )
                )
                let column = kind == .image ? "selected_image_id" : "selected_video_id"
                _ = try await tx.clips.updateOne(
                    Filter.equals("id", DatabaseValue(clip.meta.id)).and(.isNull(column)), Changes([column: DatabaseValue(item.meta.id)]))
            } else if let character {
                try await tx.characterImages.create(
                    CharacterImage(
                        projectID: job.projectID, characterID: character.meta.id, mediaFileID: output.file.id,
                        contentType: output.file.contentType,
                        kind: .sample, jobID: job.meta.id, outputIndex: index, seed: seed
                    )
                )
            }
        }
        return .succeeded(ended)
    }

    /// What a pool item keeps of the run that made it, for when it is placed on a clip.
    static func provenance(_ job: GenerationJob, server: GenerationServer, model: String?) -> JSONValue {
        var info: [String: JSONValue] = [
            "prompt": .string(job.prompt), "server_id": .string(server.meta.id.lowercasedString), "server_name": .string(server.name),
            "job_id": .string(job.meta.id.lowercasedString),
        ]
        if let negative = job.negativePrompt { info["negative_prompt"] = .string(negative) }
        if let seed = job.storedParams.seed { info["seed"] = .number(Double(seed)) }
        if let model {
            info["model_name"] = .string(model)
            info["model_type"] = .string(BaseModel.detect(fileName: model).rawValue)
        }
        return .object(info)
    }

    /// The target is in the trash: the job ends cancelled (its delete would have cancelled it
    /// had it not been running).
    private func end(_ job: GenerationJob, owner: String, in tx: Transaction) async throws -> CompletionOutcome {
        let moved = try await tx.jobs.move(
            id: job.meta.id, to: .cancelled, owner: owner, Changes(["error": .text("its \(job.target.rawValue) was deleted while it ran")]))
        return moved.map(CompletionOutcome.targetGone) ?? .lost
    }
}

extension GenerationJob {
    /// The parameters as stored (validated when the job was queued).
    var storedParams: GenerationParams {
        var errors = FieldErrors()
        return GenerationParams(json: JSONValue(text: params), errors: &errors)
    }
}

/// How an attempt ended in failure, as `JobFailure` writes it.
struct FailedAttempt: Sendable {
    /// Attempts made, this one included.
    var attempts: Int
    /// Where it ran (a retry then avoids that server); nil leaves the job's as it is.
    var serverID: UUID?
    /// It failed before its start was written (nothing was sent: no model, a graph refused
    /// before sending): its `started` event goes out with the failure, so every failure
    /// follows a start.
    var unannounced = false
    var message: String
    var retryable: Bool
}

/// A failed attempt, wherever it ran (the dispatcher's own run or a pull worker's report):
/// back in the queue after a jittered back-off while attempts are left and the failure is
/// transient, `failed` with the upstream's words otherwise.
struct JobFailure: Sendable {
    let database: Database
    let retry: RetryPolicy

    enum Outcome: Sendable, Equatable {
        case retrying(GenerationJob)
        case failed(GenerationJob)
        /// No longer held by `owner` (cancelled meanwhile, or taken over).
        case lost
    }

    func record(_ job: GenerationJob, owner: String, _ attempt: FailedAttempt) async throws -> Outcome {
        let text = String(attempt.message.prefix(2000))
        var changes = Changes(["attempts": .integer(attempt.attempts), "error": .text(text)])
        if let serverID = attempt.serverID { changes.set("server_id", DatabaseValue(serverID)) }
        var started = job
        started.serverID = attempt.serverID ?? job.serverID
        started.attempts = attempt.attempts
        if attempt.retryable, attempt.attempts <= job.maxRetries {
            var generator = SystemRandomNumberGenerator()
            let delay = retry.delay(afterAttempt: attempt.attempts, using: &generator)
            changes.set("available_at", DatabaseValue(Timestamp.now().adding(seconds: delay)))
            changes.set("upstream_id", .null)
            return try await database.transaction { tx in
                guard let queued = try await tx.jobs.move(id: job.meta.id, to: .queued, owner: owner, changes) else { return .lost }
                if attempt.unannounced { try await JobStart.record(started, in: tx) }
                try await tx.jobEvents.append([JobEvent.of(queued, .retrying)])
                return .retrying(queued)
            }
        }
        return try await database.transaction { tx in
            guard let failed = try await tx.jobs.move(id: job.meta.id, to: .failed, owner: owner, changes) else { return .lost }
            if attempt.unannounced { try await JobStart.record(started, in: tx) }
            try await tx.jobEvents.append([JobEvent.of(failed, .failed)])
            if let batch = failed.batchID { try await tx.batches.refresh(batch) }
            return .failed(failed)
        }
    }
}

extension GenerationJob {
    /// The API-format graph this job runs with `checkpoint`, the same for the dispatcher and
    /// for a pull worker; `image` is the name its first frame has on the server (video).
    func workflow(checkpoint: String, image: String?) -> JSONValue {
        if let customWorkflow, let snapshot = JSONValue(text: customWorkflow), let graph = snapshot["graph"] {
            let values = WorkflowMapping.values(
                prompt: prompt, negativePrompt: negativePrompt, params: storedParams, checkpoint: checkpoint, image: image)
            return WorkflowMapping.stored(snapshot["mapping"]).render(graph, values: values)
        }
        return switch generationType {
        case .image:
            Workflow.textToImage(
                WorkflowRequest(checkpoint: checkpoint, prompt: prompt, negativePrompt: negativePrompt ?? "", params: storedParams))
        case .video:
            Workflow.imageToVideo(checkpoint: checkpoint, image: image ?? "", params: storedParams)
        }
    }
}

/// The still an image-to-video job starts from, as it is sent to a server.
struct SourceImage: Sendable {
    /// From the content address, so nothing a client sent reaches the server's file names.
    var name: String
    var data: Data

    /// The job's first frame, read from the media store; nil for an image job.
    static func load(for job: GenerationJob, database: Database, media: MediaStore) async throws -> SourceImage? {
        guard job.generationType == .video else { return nil }
        guard let id = job.sourceMediaID, let file = try await database.mediaFiles.find(id: id), let handle = media.open(file) else {
            throw UpstreamError(.permanent, "the image this video starts from is no longer in the media store")
        }
        defer { try? handle.close() }
        guard let data = try handle.readToEnd(), !data.isEmpty else {
            throw UpstreamError(.permanent, "the image this video starts from could not be read from the media store")
        }
        return SourceImage(name: "storyboard-\(file.id.prefix(24)).\(file.fileExtension)", data: data)
    }
}
