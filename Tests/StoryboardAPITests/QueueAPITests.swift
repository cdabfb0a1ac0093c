import Foundation
import StoryboardAPI
import StoryboardCore
import StoryboardTestSupport
import Testing

extension APIClient {
    /// Queues one job for `clip` asked for `server`; its id.
    func queueJob(_ clip: String, on server: String) async throws -> String {
        let reply = try await request(.post, "/api/clips/\(clip)/generate", body: #"{"server_id": "\#(server)"}"#)
        guard reply.status == 202, let id = reply.json?.jobIDs.first else {
            throw UnexpectedReply(description: "generate answered \(reply.status): \(reply.body)")
        }
        return id
    }

    /// A pull worker with one checkpoint takes the next job; its id.
    func claimJob(_ worker: String) async throws -> String {
        let reply = try await request(.post, "/api/workers/\(worker)/claim", body: #"{"checkpoints": ["sdxl_base_1.0.safetensors"]}"#)
        guard reply.status == 200, let id = reply.json?["job"]?["id"]?.stringValue else {
            throw UnexpectedReply(description: "claim answered \(reply.status): \(reply.body)")
        }
        return id
    }
}

/// Changing a queued job's priority and clearing finished jobs from the queue. A pull worker
/// stands in for the dispatcher: it claims in the same order, and only when told to.
@Suite("Queue: priority and clear finished", .timeLimit(.minutes(3)))
struct QueueAPITests {
    @Test("a queued job's priority changes, the claim honours it; bad changes are refused", arguments: TestEngine.available)
    func priority(engine: TestEngine) async throws {
        try await withTestServer(engine) { server in
            let worker = try await server.registerPullWorker(maxConcurrent: 4)
            let (_, clip) = try await server.promptedClip()
            let older = try await server.queueJob(clip, on: worker)
            let newer = try await server.queueJob(clip, on: worker)

            let raised = try await server.request(.patch, "/api/jobs/\(newer)", body: #"{"priority": 50}"#)
            #expect(raised.status == 200, "\(raised.body)")
            #expect(raised.json?["priority"] == 50)
            #expect(raised.json?["status"] == "queued")
            #expect(raised.json?["version"] == 2)
            #expect(raised.header("ETag") == "\"2\"")
            #expect(try await server.claimJob(worker) == newer, "the raised job goes first although it is younger")

            let bad = [
                #"{"priority": 101}"#, #"{"priority": -101}"#, #"{"priority": 1.5}"#, #"{"priority": "high"}"#, #"{"priority": null}"#,
                #"{}"#,
            ]
            for body in bad {
                let reply = try await server.request(.patch, "/api/jobs/\(older)", body: body)
                #expect(reply.status == 400, "\(body): \(reply.body)")
                #expect(reply.errorCode == "VALIDATION_ERROR")
                #expect(reply.json?["error"]?["details"]?["fields"]?["priority"] != nil, "\(body): \(reply.body)")
            }
            let unknown = try await server.request(.patch, "/api/jobs/\(older)", body: #"{"priority": 1, "status": "running"}"#)
            #expect(unknown.status == 400)
            #expect(unknown.json?["error"]?["details"]?["fields"]?["status"] != nil, "\(unknown.body)")
            #expect(try await server.request(.patch, "/api/jobs/not-a-uuid", body: #"{"priority": 1}"#).status == 400)
            let missing = try await server.request(.patch, "/api/jobs/\(UUID().uuidString)", body: #"{"priority": 1}"#)
            #expect(missing.status == 404)
            #expect(missing.errorCode == "JOB_NOT_FOUND")
            let stale = try await server.request(.patch, "/api/jobs/\(older)", headers: ["If-Match": "\"7\""], body: #"{"priority": 1}"#)
            #expect(stale.status == 412)
            #expect(stale.errorCode == "PRECONDITION_FAILED")
            let running = try await server.request(.patch, "/api/jobs/\(newer)", body: #"{"priority": 1}"#)
            #expect(running.status == 409)
            #expect(running.errorCode == "CONFLICT")
            #expect(running.json?["error"]?["details"]?["status"] == "running")
            #expect(running.json?["error"]?["message"]?.stringValue?.contains("queued") == true)
            #expect(try await server.json("/api/jobs/\(older)")["priority"] == 0, "refused changes change nothing")

            let lowered = try await server.request(
                .patch, "/api/jobs/\(older)", headers: ["If-Match": "\"1\""], body: #"{"priority": -100}"#)
            #expect(lowered.status == 200, "\(lowered.body)")
            #expect(lowered.json?["priority"] == -100)
            #expect(try await server.request(.post, "/api/jobs/\(older)/cancel").status == 200)
            #expect(try await server.request(.patch, "/api/jobs/\(older)", body: #"{"priority": 1}"#).status == 409, "cancelled")
        }
    }

    @Test(
        "clear finished takes succeeded, failed and cancelled jobs out of the queue; media, batches and history stay",
        arguments: TestEngine.available)
    func clearFinished(engine: TestEngine) async throws {
        try await withTestServer(engine) { server in
            let worker = try await server.registerPullWorker(maxConcurrent: 8)
            let (project, clip) = try await server.promptedClip()
            let (otherProject, otherClip) = try await server.promptedClip("a quiet lake")

            let succeeded = try await server.queueJob(clip, on: worker)
            #expect(try await server.claimJob(worker) == succeeded)
            let output = try #require(
                try await server.upload(.post, "/api/jobs/\(succeeded)/outputs", data: try MediaFixtures.data("still.png")).json?[
                    "media_id"]?.stringValue)
            #expect(
                try await server.request(.post, "/api/jobs/\(succeeded)/complete", body: #"{"outputs": [{"media_id": "\#(output)"}]}"#)
                    .status == 200)
            let failed = try await server.queueJob(clip, on: worker)
            #expect(try await server.claimJob(worker) == failed)
            #expect(
                try await server.request(.post, "/api/jobs/\(failed)/complete", body: #"{"error": "out of memory"}"#).json?["status"]
                    == "failed")
            let batch = try #require(
                try await server.request(.post, "/api/projects/\(project)/batches", body: #"{"clip_ids": ["\#(clip)"]}"#).json?["id"]?
                    .stringValue)
            let batchJob = try await server.claimJob(worker)
            #expect(
                try await server.request(.post, "/api/jobs/\(batchJob)/complete", body: #"{"error": "node missing"}"#).json?["status"]
                    == "failed")
            let cancelled = try await server.queueJob(clip, on: worker)
            #expect(try await server.request(.post, "/api/jobs/\(cancelled)/cancel").status == 200)
            let queued = try await server.queueJob(clip, on: worker)
            let elsewhere = try await server.queueJob(otherClip, on: worker)
            #expect(try await server.request(.post, "/api/jobs/\(elsewhere)/cancel").status == 200)
            let batchBefore = try await server.json("/api/batches/\(batch)")

            for (body, status, code) in [
                (#"{"project_id": "nope"}"#, 400, "VALIDATION_ERROR"), (#"{"status": "failed"}"#, 400, "VALIDATION_ERROR"),
                (#"{"project_id": "\#(UUID().uuidString)"}"#, 404, "PROJECT_NOT_FOUND"),
                (#"{"batch_id": "\#(UUID().uuidString)"}"#, 404, "BATCH_NOT_FOUND"),
                (#"[]"#, 400, "VALIDATION_ERROR"),
            ] {
                let reply = try await server.request(.post, "/api/jobs/clear-finished", body: body)
                #expect(reply.status == status, "\(body): \(reply.body)")
                #expect(reply.errorCode == code, "\(body): \(reply.body)")
            }
            let byBatch = try await server.request(.post, "/api/jobs/clear-finished", body: #"{"batch_id": "\#(batch)"}"#)
            #expect(byBatch.status == 200, "\(byBatch.body)")
            #expect(byBatch.json?["cleared"] == 1)
            #expect(
                try await server.request(.post, "/api/jobs/clear-finished", body: #"{"project_id": "\#(project)"}"#).json?["cleared"] == 3)
            #expect(
                try await server.request(.post, "/api/jobs/clear-finished", body: #"{"project_id": "\#(project)"}"#).json?["cleared"] == 0,
                "already cleared")

            #expect(try await server.json("/api/jobs?project_id=\(project)").ids == [queued], "only the unfinished job is left")
            #expect(try await server.json("/api/jobs?project_id=\(otherProject)").ids == [elsewhere], "another project's jobs stay")
            for job in [succeeded, failed, batchJob, cancelled] {
                #expect(try await server.request(.get, "/api/jobs/\(job)").errorCode == "JOB_NOT_FOUND")
            }
            #expect(try await server.request(.post, "/api/jobs/\(failed)/retry").status == 404, "a cleared job is gone from the queue")
            let gallery = try await server.json("/api/clips/\(clip)/gallery")
            #expect(gallery["generated_images"]?.arrayValue?.count == 1, "the generated image stays")
            #expect(gallery["generated_images"]?.arrayValue?.first?["job_id"]?.stringValue == succeeded)
            #expect(try await server.json("/api/trash").items.isEmpty, "a cleared job is not a delete of anything the user made")

            let batchAfter = try await server.json("/api/batches/\(batch)")
            for field in ["status", "total", "completed", "failed", "cancelled", "results"] {
                #expect(batchAfter[field] == batchBefore[field], "the batch reads as before: \(field)")
            }
            #expect(batchAfter["failed"] == 1)
            let retried = try await server.request(.post, "/api/batches/\(batch)/retry-failed")
            #expect(retried.status == 202, "a cleared failure can still be retried with its batch: \(retried.body)")
            #expect(retried.json?["total"] == 1, "the retry replaces the cleared job in the batch's count")
            #expect(retried.json?["failed"] == 0)
            #expect(try await server.json("/api/jobs?batch_id=\(batch)").items.count == 1, "the new job is in the queue")

            let everything = try await server.request(.post, "/api/jobs/clear-finished")
            #expect(everything.status == 200, "no body: every project")
            #expect(everything.json?["cleared"] == 1)
            #expect(try await server.json("/api/jobs?project_id=\(otherProject)").items.isEmpty)

            // The project still goes to the trash and away for good with its cleared jobs.
            #expect(try await server.request(.delete, "/api/projects/\(project)").status == 204)
            #expect(try await server.request(.delete, "/api/trash/project/\(project)").status == 204)
            #expect(try await server.request(.get, "/api/projects/\(project)?include_deleted=true").status == 404)
        }
    }
}
