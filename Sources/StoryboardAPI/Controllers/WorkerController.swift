import Foundation
import Hummingbird
import StoryboardCore
import StoryboardServices

/// Pull workers: a GPU box the server cannot reach claims work for its (pull-mode) server,
/// heartbeats, uploads its outputs and completes the job.
struct WorkerController {
    let service: WorkerService
    let maxBodyBytes: Int

    func register(_ routes: Routes) {
        routes.add(.post, "/api/workers/{id}/claim") { request, context in
            let serverID = try context.uuidParameter()
            var body = try await JSONBody.read(request, limit: maxBodyBytes)
            body.allowOnly(["checkpoints"])
            let checkpoints = body.stringList("checkpoints") ?? []
            for (index, name) in checkpoints.enumerated() where !ModelFileName.isValid(name) {
                body.addError("checkpoints[\(index)]", "must be a model file name")
            }
            if checkpoints.count > 1000 { body.addError("checkpoints", "must list at most 1000 files") }
            try body.throwIfInvalid()
            guard let assignment = try await service.claim(serverID: serverID, checkpoints: checkpoints) else {
                return Response(status: .noContent)
            }
            let id = assignment.job.meta.id.uuidString.lowercased()
            var writer = JSONWriter()
            writer.beginObject()
            writer.key("job")
            writer.job(assignment.job)
            writer.key("workflow")
            writer.json(assignment.workflow)
            writer.key("checkpoint")
            writer.string(assignment.checkpoint)
            writer.key("images")
            writer.beginArray()
            for image in assignment.images {
                writer.beginObject()
                writer.key("name")
                writer.string(image.name)
                writer.key("image")
                writer.string(image.data.base64EncodedString())
                writer.endObject()
            }
            writer.endArray()
            writer.key("lease_until")
            writer.string(assignment.job.leaseUntil?.description)
            writer.key("heartbeat_url")
            writer.string("/api/jobs/\(id)/heartbeat")
            writer.key("outputs_url")
            writer.string("/api/jobs/\(id)/outputs")
            writer.key("complete_url")
            writer.string("/api/jobs/\(id)/complete")
            writer.endObject()
            return writer.response()
        }
        routes.add(.post, "/api/jobs/{id}/heartbeat") { request, context in
            let id = try context.uuidParameter()
            var body = try await JSONBody.read(request, limit: maxBodyBytes)
            body.allowOnly(["progress"])
            var progress: (value: Int, max: Int)?
            if let value = body.value("progress"), value != .null {
                guard let step = value["value"]?.doubleValue, let total = value["max"]?.doubleValue, step >= 0, total >= 1, step <= total,
                    step == step.rounded(), total == total.rounded(), total <= 1_000_000
                else {
                    throw AppError.validation(["progress": "must be {\"value\": n, \"max\": m} with whole numbers 0 ≤ n ≤ m, m ≥ 1"])
                }
                progress = (Int(step), Int(total))
            }
            try body.throwIfInvalid()
            return jobResponse(try await service.heartbeat(jobID: id, progress: progress))
        }
        // One output per request, the body being the file: type and size checked as it streams in.
        routes.add(.post, "/api/jobs/{id}/outputs", rawBody: true) { request, context in
            let file = try await service.uploadOutput(
                jobID: try context.uuidParameter(), request.body.map { Array(buffer: $0) }, declaredLength: request.declaredLength)
            var writer = JSONWriter()
            writer.beginObject()
            writer.key("media_id")
            writer.string(file.id)
            writer.key("content_type")
            writer.string(file.contentType)
            writer.key("size_bytes")
            writer.int(file.sizeBytes)
            writer.endObject()
            return writer.response(status: .created)
        }
        routes.add(.post, "/api/jobs/{id}/complete") { request, context in
            let id = try context.uuidParameter()
            var body = try await JSONBody.read(request, limit: maxBodyBytes)
            body.allowOnly(["outputs", "error", "retryable"])
            let error = body.string("error")
            let retryable = body.bool("retryable") ?? false
            var mediaIDs: [String]?
            if let value = body.value("outputs") {
                guard let list = value.arrayValue else { throw AppError.validation(["outputs": "must be a list of {\"media_id\": …}"]) }
                mediaIDs = try list.enumerated().map { index, entry in
                    guard let object = entry.objectValue, object.keys.allSatisfy({ $0 == "media_id" }),
                        let mediaID = object["media_id"]?.stringValue,
                        MediaFileID.isValid(mediaID)
                    else {
                        throw AppError.validation(["outputs[\(index)]": "must be {\"media_id\": …} as POST /api/jobs/{id}/outputs answered"]
                        )
                    }
                    return mediaID
                }
            }
            try body.throwIfInvalid()
            switch (mediaIDs, error) {
            case (let ids?, nil): return jobResponse(try await service.complete(jobID: id, mediaIDs: ids))
            case (nil, let message?):
                let trimmed = message.trimmingCharacters(in: .whitespacesAndNewlines)
                guard !trimmed.isEmpty else { throw AppError.validation(["error": "must say what went wrong"]) }
                return jobResponse(try await service.fail(jobID: id, message: trimmed, retryable: retryable))
            default: throw AppError.validation(["outputs": "send either outputs or error"])
            }
        }
    }

    func jobResponse(_ job: GenerationJob) -> Response {
        var writer = JSONWriter()
        writer.job(job)
        return writer.response(headers: [.eTag: etag(job.meta.version)])
    }
}

/// A media file id: the SHA-256 of its bytes, as lower-case hex.
enum MediaFileID {
    static func isValid(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }
}
