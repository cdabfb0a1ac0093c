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

    func complete(_ job: GenerationJob, owner: String, outputs: [StoredOutput], server: GenerationServer, model: String?) async throws -> CompletionOutcome {
        try await database.transaction { tx in
            let outcome = try await attach(job, owner: owner, outputs: outputs, server: server, model: model, in: tx)
            switch outcome {
            case .succeeded(let ended): try await tx.jobEvents.append([JobEvent.of(ended, .succeeded, mediaIDs: outputs.map(\.file.id))])
            case .targetGone(let ended): try await tx.jobEvents.append([JobEvent.of(ended, .cancelled)])
            case .lost: return outcome
            }
            if let batch = job.batchID { try await tx.batches.refresh(batch) }
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
        let clip = try await job.clipID.asyncMap { try await tx.clips.find(id: $0) } ?? nil
        let character = try await job.characterID.asyncMap { try await tx.characters.find(id: $0) } ?? nil
        guard clip != nil || character != nil else { return try await end(job, owner: owner, in: tx) }
        let ids = JSONValue.array(outputs.map { .string($0.file.id) })
        guard let ended = try await tx.jobs.move(id: job.meta.id, to: .succeeded, owner: owner, Changes(["result_media_ids": .text(ids.text)])) else {
            return .lost
        }
        let seed = job.storedParams.seed
        for (index, output) in outputs.enumerated() {
            try await tx.mediaFiles.register(output.file)
            if let clip {
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
            } else if let character {
                try await tx.characterImages.create(
                    CharacterImage(
                        projectID: job.projectID, characterID: character.meta.id, mediaFileID: output.file.id, contentType: output.file.contentType,
                        kind: .sample, jobID: job.meta.id, outputIndex: index, seed: seed
                    )
                )
            }
        }
        return .succeeded(ended)
    }

    /// The target is in the trash: the job ends cancelled (its delete would have cancelled it
    /// had it not been running).
    private func end(_ job: GenerationJob, owner: String, in tx: Transaction) async throws -> CompletionOutcome {
        let moved = try await tx.jobs.move(id: job.meta.id, to: .cancelled, owner: owner, Changes(["error": .text("its \(job.target.rawValue) was deleted while it ran")]))
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
