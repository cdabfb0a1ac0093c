import Foundation
import Hummingbird
import NIOCore
import StoryboardCore
import StoryboardServices

/// The generation queue: queue work for a clip or a character, list and inspect jobs,
/// cancel, retry and reprioritise them, clear the finished ones.
struct JobController {
    let service: JobService
    let maxBodyBytes: Int

    static let generateFields: Set<String> = [
        "generation_type", "server_id", "model", "params", "count", "preset", "replace_pending", "priority", "destination", "workflow_id",
    ]
    static let sampleFields: Set<String> = ["count", "prompt", "server_id", "model"]
    static let patchFields: Set<String> = ["priority"]
    static let clearFields: Set<String> = ["project_id", "batch_id"]

    func register(_ routes: Routes) {
        routes.add(.post, "/api/clips/{id}/generate") { request, context in
            let clipID = try context.uuidParameter()
            var body = try await JSONBody.read(request, limit: maxBodyBytes)
            body.allowOnly(Self.generateFields)
            var generate = GenerateInput()
            generate.generationType = body.string("generation_type")
            generate.serverID = body.uuid("server_id")
            generate.model = body.string("model")
            generate.params = body.value("params")
            generate.count = body.int("count")
            generate.preset = body.string("preset")
            generate.replacePending = body.bool("replace_pending")
            generate.destination = body.string("destination")
            generate.workflowID = body.uuid("workflow_id")
            generate.priority = body.int("priority")
            generate.bodyErrors = body.errors
            return jobs(try await service.generate(clipID: clipID, generate))
        }
        routes.add(.post, "/api/characters/{id}/samples") { request, context in
            let characterID = try context.uuidParameter()
            var body = try await JSONBody.read(request, limit: maxBodyBytes)
            body.allowOnly(Self.sampleFields)
            var samples = SampleInput()
            samples.count = body.int("count")
            samples.prompt = body.string("prompt")
            samples.serverID = body.uuid("server_id")
            samples.model = body.string("model")
            samples.bodyErrors = body.errors
            return jobs(try await service.samples(characterID: characterID, samples))
        }
        routes.add(.get, "/api/jobs") { request, _ in
            var query = JobQuery()
            if let text = request.query("status") {
                guard let status = JobStatus(rawValue: text) else {
                    throw AppError.invalidParameter(
                        "status", "must be one of \(JobStatus.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                query.status = status
            }
            query.clipID = try request.uuidQuery("clip_id")
            query.batchID = try request.uuidQuery("batch_id")
            query.projectID = try request.uuidQuery("project_id")
            query.characterID = try request.uuidQuery("character_id")
            let page = try await service.list(query, limit: try request.pageLimit(), cursor: request.query("cursor"))
            var writer = JSONWriter()
            writer.list(page.items, nextCursor: page.nextCursor) { $0.job($1) }
            return writer.response()
        }
        routes.add(.get, "/api/jobs/{id}") { _, context in
            job(try await service.get(id: try context.uuidParameter()))
        }
        routes.add(.get, "/api/jobs/{id}/preview") { _, context in
            guard let preview = try await service.preview(id: try context.uuidParameter()) else { return Response(status: .noContent) }
            return Response(
                status: .ok,
                headers: [
                    .contentType: preview.contentType, .contentLength: String(preview.bytes.count), .xContentTypeOptions: "nosniff",
                    // Replaced several times a second while the job runs.
                    .cacheControl: "no-store",
                    .eTag: "\"\(preview.jobID.uuidString.lowercased())-\(preview.sequence)\"",
                ],
                body: .init(byteBuffer: ByteBuffer(bytes: preview.bytes))
            )
        }
        routes.add(.post, "/api/jobs/{id}/cancel") { _, context in
            job(try await service.cancel(id: try context.uuidParameter()))
        }
        routes.add(.post, "/api/jobs/{id}/retry") { _, context in
            job(try await service.retry(id: try context.uuidParameter()), status: .accepted)
        }
        routes.add(.patch, "/api/jobs/{id}") { request, context in
            let id = try context.uuidParameter()
            let expected = try request.expectedVersion()
            var body = try await JSONBody.read(request, limit: maxBodyBytes)
            body.allowOnly(Self.patchFields)
            let priority = body.int("priority")
            return job(
                try await service.setPriority(
                    id: id, priority: priority, isPresent: body.has("priority"), bodyErrors: body.errors, expectedVersion: expected))
        }
        routes.add(.post, "/api/jobs/clear-finished") { request, _ in
            var body = try await JSONBody.read(request, limit: maxBodyBytes)
            body.allowOnly(Self.clearFields)
            let projectID = body.uuid("project_id")
            let batchID = body.uuid("batch_id")
            try body.throwIfInvalid()
            let cleared = try await service.clearFinished(projectID: projectID, batchID: batchID)
            var writer = JSONWriter()
            writer.beginObject()
            writer.key("cleared")
            writer.int(cleared)
            writer.endObject()
            return writer.response()
        }
    }

    func jobs(_ jobs: [GenerationJob]) -> Response {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("jobs")
        writer.beginArray()
        for job in jobs { writer.job(job) }
        writer.endArray()
        writer.endObject()
        return writer.response(status: .accepted)
    }

    func job(_ job: GenerationJob, status: HTTPResponse.Status = .ok) -> Response {
        var writer = JSONWriter()
        writer.job(job)
        var headers: HTTPFields = [.eTag: etag(job.meta.version)]
        if status == .accepted { headers[.location] = "/api/jobs/\(job.meta.id.uuidString.lowercased())" }
        return writer.response(status: status, headers: headers)
    }
}

extension Request {
    /// An optional UUID query parameter; anything else is 400.
    func uuidQuery(_ name: String) throws -> UUID? {
        guard let text = query(name) else { return nil }
        guard let id = UUID(parsing: text) else { throw AppError.invalidParameter(name, "must be a UUID") }
        return id
    }
}

extension JSONWriter {
    mutating func job(_ job: GenerationJob) {
        beginObject()
        key("id")
        uuid(job.meta.id)
        key("project_id")
        uuid(job.projectID)
        key("clip_id")
        uuid(job.clipID)
        key("character_id")
        uuid(job.characterID)
        key("batch_id")
        uuid(job.batchID)
        key("target")
        string(job.target.rawValue)
        key("destination")
        string(job.destination.rawValue)
        key("workflow_id")
        uuid(job.workflowID)
        key("generation_type")
        string(job.generationType.rawValue)
        key("status")
        string(job.status.rawValue)
        key("priority")
        int(job.priority)
        key("attempts")
        int(job.attempts)
        key("max_retries")
        int(job.maxRetries)
        key("server_id")
        uuid(job.serverID)
        key("preferred_server_id")
        uuid(job.preferredServerID)
        key("model")
        string(job.model)
        key("prompt")
        string(job.prompt)
        key("negative_prompt")
        string(job.negativePrompt)
        key("params")
        rawJSON(job.params)
        key("progress")
        if let value = job.progressValue, let max = job.progressMax {
            beginObject()
            key("value")
            int(value)
            key("max")
            int(max)
            key("updated_at")
            timestamp(job.progressAt)
            endObject()
        } else {
            null()
        }
        key("error")
        string(job.error)
        key("result_media_ids")
        rawJSON(job.resultMediaIDs)
        key("available_at")
        timestamp(job.availableAt)
        key("lease_until")
        timestamp(job.leaseUntil)
        key("started_at")
        timestamp(job.startedAt)
        key("finished_at")
        timestamp(job.finishedAt)
        metadata(job.meta)
        endObject()
    }
}
