import Foundation
import Hummingbird
import StoryboardCore
import StoryboardServices

/// Batches: a whole project (or a list of its clips) generated at once.
struct BatchController {
    let service: BatchService
    let maxBodyBytes: Int

    static let fields: Set<String> = ["generation_type", "clip_ids", "params", "model", "preset", "destination", "workflow_id"]

    func register(_ routes: Routes) {
        routes.add(.post, "/api/projects/{id}/batches") { request, context in
            let projectID = try context.uuidParameter()
            var body = try await JSONBody.read(request, limit: maxBodyBytes)
            body.allowOnly(Self.fields)
            var batch = BatchInput()
            batch.generationType = body.string("generation_type")
            batch.clipIDs = body.uuidList("clip_ids")
            batch.params = body.value("params")
            batch.model = body.string("model")
            batch.preset = body.string("preset")
            batch.destination = body.string("destination")
            batch.workflowID = body.uuid("workflow_id")
            batch.bodyErrors = body.errors
            let report = try await service.create(projectID: projectID, batch)
            return respond(report, status: .accepted)
        }
        routes.add(.get, "/api/projects/{id}/batches") { request, context in
            var status: BatchStatus?
            if let text = request.query("status") {
                guard let value = BatchStatus(rawValue: text) else {
                    throw AppError.invalidParameter(
                        "status", "must be one of \(BatchStatus.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                status = value
            }
            let page = try await service.list(
                projectID: try context.uuidParameter(), status: status, limit: try request.pageLimit(), cursor: request.query("cursor"))
            var writer = JSONWriter()
            writer.list(page.items, nextCursor: page.nextCursor) { $0.batch($1) }
            return writer.response()
        }
        routes.add(.get, "/api/batches/{id}") { _, context in
            respond(try await service.report(id: try context.uuidParameter()))
        }
        routes.add(.post, "/api/batches/{id}/cancel") { _, context in
            respond(try await service.cancel(id: try context.uuidParameter()))
        }
        routes.add(.post, "/api/batches/{id}/retry-failed") { _, context in
            respond(try await service.retryFailed(id: try context.uuidParameter()), status: .accepted)
        }
    }

    func respond(_ report: BatchReport, status: HTTPResponse.Status = .ok) -> Response {
        var writer = JSONWriter()
        writer.batch(report.batch, report: report)
        var headers: HTTPFields = [.eTag: etag(report.batch.meta.version)]
        if status == .accepted { headers[.location] = "/api/batches/\(report.batch.meta.id.uuidString.lowercased())" }
        return writer.response(status: status, headers: headers)
    }
}

extension JSONWriter {
    /// With `report`: the results (each clip's latest job) and the time left.
    mutating func batch(_ batch: GenerationBatch, report: BatchReport? = nil) {
        beginObject()
        key("id")
        uuid(batch.meta.id)
        key("project_id")
        uuid(batch.projectID)
        key("generation_type")
        string(batch.generationType.rawValue)
        key("status")
        string(batch.status.rawValue)
        key("total")
        int(batch.total)
        key("completed")
        int(batch.completed)
        key("failed")
        int(batch.failed)
        key("cancelled")
        int(batch.cancelled)
        key("params")
        rawJSON(batch.params)
        key("started_at")
        timestamp(batch.startedAt)
        key("finished_at")
        timestamp(batch.finishedAt)
        if let report {
            key("eta_seconds")
            double(report.etaSeconds)
            key("skipped_clip_ids")
            json(.array(report.skippedClipIDs.map { .string($0.uuidString.lowercased()) }))
            key("results")
            beginArray()
            for job in report.results {
                beginObject()
                key("clip_id")
                uuid(job.clipID)
                key("job_id")
                uuid(job.meta.id)
                key("status")
                string(job.status.rawValue)
                key("media_ids")
                rawJSON(job.resultMediaIDs)
                key("error")
                string(job.error)
                endObject()
            }
            endArray()
        }
        metadata(batch.meta)
        endObject()
    }
}
