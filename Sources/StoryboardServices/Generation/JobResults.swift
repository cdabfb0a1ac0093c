import Foundation
import StoryboardCore
import StoryboardDatabase

/// One stored output of a job, ready to attach.
struct StoredOutput: Sendable {
    var file: MediaFile
    var isVideo: Bool
}

/// How a finished run ended in the database.
enum CompletionOutcome: Sendable, Equatable {
    case succeeded
    /// The clip or character went to the trash meanwhile: the job ends cancelled.
    case targetGone
    /// The job is no longer ours (cancelled, or taken over after a lost lease).
    case lost
}

/// Attaches a job's outputs where they belong, exactly once, and ends the job, in one
/// transaction: the clip's gallery (the first image or video becomes the selection when
/// there is none) or the character's samples.
struct JobResults: Sendable {
    let database: Database

    func complete(_ job: GenerationJob, owner: String, outputs: [StoredOutput], server: GenerationServer, model: String?) async throws -> CompletionOutcome {
        try await database.transaction { tx in
            let outcome = try await attach(job, owner: owner, outputs: outputs, server: server, model: model, in: tx)
            if outcome != .lost, let ended = try await tx.jobs.find(id: job.meta.id, includeDeleted: true) {
                let event = outcome == .succeeded ? JobEvent.of(ended, .succeeded, mediaIDs: outputs.map(\.file.id)) : JobEvent.of(ended, .cancelled)
                try await tx.jobEvents.append([event])
                if let batch = job.batchID { try await tx.batches.refresh(batch) }
            }
            return outcome
        }
    }

    private func attach(_ job: GenerationJob, owner: String, outputs: [StoredOutput], server: GenerationServer, model: String?, in tx: Transaction) async throws -> CompletionOutcome {
        // The project lock first: the gallery is part of the project's tree (its ETag).
        do {
            try await tx.lockProject(job.projectID)
        } catch let error as AppError where error.code == .projectNotFound {
            return try await end(job, owner: owner, in: tx)
        }
        let ids = JSONValue.array(outputs.map { .string($0.file.id) })
        let seed = job.storedParams.seed
        switch job.target {
        case .clip:
            guard let clipID = job.clipID, let clip = try await tx.clips.find(id: clipID) else { return try await end(job, owner: owner, in: tx) }
            guard try await tx.jobs.move(id: job.meta.id, to: .succeeded, owner: owner, Changes(["result_media_ids": .text(JobService.text(ids))])) != nil else {
                return .lost
            }
            for (index, output) in outputs.enumerated() {
                try await tx.mediaFiles.register(output.file)
                let existing = try await tx.galleryItems.findOne(
                    Filter.equals("job_id", DatabaseValue(job.meta.id)).and(.equals("output_index", .integer(index))), includeDeleted: true
                )
                if existing != nil { continue }
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
                _ = try await tx.clips.updateOne(Filter.equals("id", DatabaseValue(clip.meta.id)).and(.isNull(column)), Changes([column: DatabaseValue(item.meta.id)]))
            }
        case .character:
            guard let characterID = job.characterID, try await tx.characters.find(id: characterID) != nil else {
                return try await end(job, owner: owner, in: tx)
            }
            guard try await tx.jobs.move(id: job.meta.id, to: .succeeded, owner: owner, Changes(["result_media_ids": .text(JobService.text(ids))])) != nil else {
                return .lost
            }
            for (index, output) in outputs.enumerated() {
                try await tx.mediaFiles.register(output.file)
                let existing = try await tx.characterImages.findOne(
                    Filter.equals("job_id", DatabaseValue(job.meta.id)).and(.equals("output_index", .integer(index))), includeDeleted: true
                )
                if existing != nil { continue }
                try await tx.characterImages.create(
                    CharacterImage(
                        projectID: job.projectID, characterID: characterID, mediaFileID: output.file.id, contentType: output.file.contentType, kind: .sample,
                        jobID: job.meta.id, outputIndex: index, seed: seed
                    )
                )
            }
        }
        return .succeeded
    }

    /// The target is in the trash: the job ends cancelled (its delete would have cancelled it
    /// had it not been running).
    private func end(_ job: GenerationJob, owner: String, in tx: Transaction) async throws -> CompletionOutcome {
        let moved = try await tx.jobs.move(id: job.meta.id, to: .cancelled, owner: owner, Changes(["error": .text("its \(job.target.rawValue) was deleted while it ran")]))
        return moved == nil ? .lost : .targetGone
    }
}

extension GenerationJob {
    /// The parameters as stored (validated when the job was queued).
    var storedParams: GenerationParams {
        var errors = FieldErrors()
        return GenerationParams(json: JobService.object(params), errors: &errors)
    }
}
