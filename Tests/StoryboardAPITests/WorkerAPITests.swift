import Foundation
import StoryboardAPI
import StoryboardCore
import StoryboardTestSupport
import Testing

extension APIClient {
    /// A pull-mode server (a GPU box that calls in); its id.
    func registerPullWorker(name: String = "NAT box", maxConcurrent: Int = 1) async throws -> String {
        try await createID(
            "/api/servers",
            #"{"name": "\#(name)", "url": "http://\#(name.replacingOccurrences(of: " ", with: "-")).invalid:8188", "server_type": "comfyui", "pull_mode": true, "max_concurrent": \#(maxConcurrent)}"#
        )
    }
}

extension GenerationSuites {
    @Suite("Generation: pull workers and the pool as a destination", .timeLimit(.minutes(3)))
    struct WorkerAPITests {
        @Test(
            "a pull worker claims its job, heartbeats, uploads and completes; the dispatcher leaves it alone",
            arguments: TestEngine.available)
        func claimAndComplete(engine: TestEngine) async throws {
            try await withComfyUIStandIns { standIns in
                try await withTestServer(engine, configure: generationSettings) { server in
                    _ = try await server.register(standIns[0])
                    let worker = try await server.registerPullWorker()
                    let (_, clip) = try await server.promptedClip()
                    #expect(try await server.request(.post, "/api/workers/\(worker)/claim").status == 204, "nothing queued yet")
                    let job = try #require(
                        try await server.request(.post, "/api/clips/\(clip)/generate", body: #"{"server_id": "\#(worker)"}"#).json?.jobIDs
                            .first)
                    // A dispatcher polling every 50 ms would have taken it by now, were it allowed to.
                    try await Task.sleep(for: .milliseconds(600))
                    #expect(try await server.json("/api/jobs/\(job)")["status"] == "queued")

                    let claim = try await server.request(
                        .post, "/api/workers/\(worker)/claim", body: #"{"checkpoints": ["sdxl_base_1.0.safetensors"]}"#)
                    #expect(claim.status == 200, "\(claim.body)")
                    let assignment = try #require(claim.json)
                    #expect(assignment["job"]?["id"]?.stringValue == job)
                    #expect(assignment["job"]?["status"] == "running")
                    #expect(assignment["job"]?["attempts"] == 1)
                    #expect(assignment["job"]?["server_id"]?.stringValue == worker)
                    #expect(assignment["checkpoint"] == "sdxl_base_1.0.safetensors")
                    let loader = assignment["workflow"]?.objectValue?.values.first { $0["class_type"] == "CheckpointLoaderSimple" }
                    #expect(loader?["inputs"]?["ckpt_name"] == "sdxl_base_1.0.safetensors")
                    #expect(try await server.request(.post, "/api/workers/\(worker)/claim").status == 204, "max_concurrent 1")

                    let firstLease = try #require(assignment["lease_until"]?.stringValue)
                    try await Task.sleep(for: .milliseconds(20))
                    let beat = try await server.request(
                        .post, "/api/jobs/\(job)/heartbeat", body: #"{"progress": {"value": 5, "max": 20}}"#)
                    #expect(beat.status == 200, "\(beat.body)")
                    #expect(try #require(beat.json?["lease_until"]?.stringValue) > firstLease)
                    #expect(beat.json?["progress"]?["value"] == 5)
                    let events = try await server.request(
                        .get, "/api/events?project_id=\(try #require(assignment["job"]?["project_id"]?.stringValue))")
                    #expect(events.body.contains("event: progress"), "the worker's progress reaches the event stream")
                    for body in [#"{"progress": {"value": 21, "max": 20}}"#, #"{"progress": 5}"#, #"{"pace": 1}"#] {
                        #expect(try await server.request(.post, "/api/jobs/\(job)/heartbeat", body: body).status == 400, "\(body)")
                    }

                    let html = try await server.upload(.post, "/api/jobs/\(job)/outputs", data: try MediaFixtures.data("page.html"))
                    #expect(html.status == 422)
                    let png = try MediaFixtures.data("still.png")
                    let output = try await server.upload(.post, "/api/jobs/\(job)/outputs", data: png)
                    #expect(output.status == 201, "\(output.body)")
                    let mediaID = try #require(output.json?["media_id"]?.stringValue)
                    #expect(output.json?["content_type"] == "image/png")

                    let bad = [
                        #"{}"#, #"{"outputs": []}"#, #"{"outputs": [{"media_id": "../../etc/passwd"}]}"#,
                        #"{"outputs": [{"media_id": "\#(String(repeating: "a", count: 64))"}]}"#,
                        #"{"outputs": [{"media_id": "\#(mediaID)"}], "error": "both"}"#,
                        #"{"error": "  "}"#, #"{"outputs": "\#(mediaID)"}"#,
                    ]
                    for body in bad {
                        let reply = try await server.request(.post, "/api/jobs/\(job)/complete", body: body)
                        #expect(reply.status == 400, "\(body): \(reply.body)")
                    }
                    // A file of the store that is not an output (the song) is not attached.
                    let project = try #require(assignment["job"]?["project_id"]?.stringValue)
                    let song = try await server.upload(.put, "/api/projects/\(project)/music", data: try MediaFixtures.data("tone.mp3"))
                    let songPath = try #require(song.json?["music_file_path"]?.stringValue)
                    let songID = String(songPath.split(separator: "/").last?.split(separator: ".").first ?? "")
                    let songReply = try await server.request(
                        .post, "/api/jobs/\(job)/complete", body: #"{"outputs": [{"media_id": "\#(songID)"}]}"#)
                    #expect(songReply.status == 400, "\(songReply.body)")
                    #expect(try await server.json("/api/jobs/\(job)")["status"] == "running", "bad completions change nothing")

                    let done = try await server.request(
                        .post, "/api/jobs/\(job)/complete", body: #"{"outputs": [{"media_id": "\#(mediaID)"}]}"#)
                    #expect(done.status == 200, "\(done.body)")
                    #expect(done.json?["status"] == "succeeded")
                    let gallery = try await server.json("/api/clips/\(clip)/gallery")
                    let images = try #require(gallery["generated_images"]?.arrayValue)
                    #expect(images.count == 1)
                    #expect(images.first?["job_id"]?.stringValue == job)
                    #expect(images.first?["server_id"]?.stringValue == worker)
                    #expect(gallery["selected_image_id"] == images.first?["id"])
                    #expect(try await server.request(.get, try #require(images.first?["url"]?.stringValue)).data == png)

                    // Finished: the worker is told to stop, nothing is attached twice.
                    let again = try await server.request(
                        .post, "/api/jobs/\(job)/complete", body: #"{"outputs": [{"media_id": "\#(mediaID)"}]}"#)
                    #expect(again.status == 409)
                    #expect(again.json?["error"]?["details"]?["status"] == "succeeded")
                    #expect(try await server.request(.post, "/api/jobs/\(job)/heartbeat").status == 409)
                    #expect(try await server.request(.post, "/api/jobs/\(job)/outputs", body: "x", json: false).status == 409)
                    #expect(try await server.json("/api/clips/\(clip)/gallery")["generated_images"]?.arrayValue?.count == 1)
                }
            }
        }

        @Test("worker failures retry then fail with its words; cancel reaches it; bad claims are refused", arguments: TestEngine.available)
        func failures(engine: TestEngine) async throws {
            try await withTestServer(engine, configure: generationSettings) { server in
                let worker = try await server.registerPullWorker()
                let pushed = try await server.createID(
                    "/api/servers", #"{"name": "Push", "url": "http://push.invalid:8188", "server_type": "comfyui"}"#)
                let (_, clip) = try await server.promptedClip()

                #expect(try await server.request(.post, "/api/workers/not-a-uuid/claim").status == 400)
                #expect(try await server.request(.post, "/api/workers/\(UUID().uuidString)/claim").errorCode == "SERVER_NOT_FOUND")
                #expect(try await server.request(.post, "/api/workers/\(pushed)/claim").status == 409, "not a pull-mode server")
                #expect(try await server.request(.post, "/api/servers/\(worker)/check").status == 409, "a pull-mode server is never called")
                for body in [#"{"checkpoints": ["../x.safetensors"]}"#, #"{"checkpoints": "a"}"#, #"{"gpu": 1}"#] {
                    #expect(try await server.request(.post, "/api/workers/\(worker)/claim", body: body).status == 400, "\(body)")
                }
                let runpod = try await server.request(
                    .post, "/api/servers",
                    body:
                        #"{"name": "RP", "url": "https://api.runpod.ai", "server_type": "runpod", "endpoint_id": "e", "api_key": "k", "pull_mode": true}"#
                )
                #expect(runpod.json?["error"]?["details"]?["fields"]?["pull_mode"] != nil)

                let job = try #require(
                    try await server.request(
                        .post, "/api/clips/\(clip)/generate", body: #"{"server_id": "\#(worker)", "model": "flux1-dev.safetensors"}"#
                    ).json?.jobIDs.first)
                #expect(
                    try await server.request(.post, "/api/workers/\(worker)/claim", body: #"{"checkpoints": ["sdxl.safetensors"]}"#).status
                        == 204, "it lacks the model")
                for attempt in 1...3 {
                    let claim = try await server.request(
                        .post, "/api/workers/\(worker)/claim", body: #"{"checkpoints": ["flux1-dev.safetensors"]}"#)
                    #expect(claim.json?["job"]?["attempts"] == .number(Double(attempt)), "\(claim.body)")
                    let failed = try await server.request(
                        .post, "/api/jobs/\(job)/complete", body: #"{"error": "CUDA out of memory", "retryable": true}"#)
                    #expect(failed.json?["status"] == "queued")
                    #expect(failed.json?["error"] == "CUDA out of memory")
                    // Back-off: due again within the test's short retry delays.
                    try await Task.sleep(for: .milliseconds(300))
                }
                _ = try await server.request(.post, "/api/workers/\(worker)/claim", body: #"{"checkpoints": ["flux1-dev.safetensors"]}"#)
                let final = try await server.request(
                    .post, "/api/jobs/\(job)/complete", body: #"{"error": "CUDA out of memory", "retryable": true}"#)
                #expect(final.json?["status"] == "failed", "attempts used up: \(final.body)")
                #expect(final.json?["attempts"] == 4)

                let second = try #require(
                    try await server.request(.post, "/api/clips/\(clip)/generate", body: #"{"server_id": "\#(worker)"}"#).json?.jobIDs.first
                )
                #expect(
                    try await server.request(.post, "/api/workers/\(worker)/claim", body: #"{"checkpoints": ["a.safetensors"]}"#).json?[
                        "job"]?["id"]?.stringValue == second)
                #expect(try await server.request(.post, "/api/jobs/\(second)/cancel").status == 200)
                let stopped = try await server.request(.post, "/api/jobs/\(second)/heartbeat")
                #expect(stopped.status == 409)
                #expect(stopped.json?["error"]?["details"]?["status"] == "cancelled")

                let third = try #require(
                    try await server.request(.post, "/api/clips/\(clip)/generate", body: #"{"server_id": "\#(worker)"}"#).json?.jobIDs.first
                )
                _ = try await server.request(.post, "/api/workers/\(worker)/claim", body: #"{"checkpoints": ["a.safetensors"]}"#)
                let permanent = try await server.request(
                    .post, "/api/jobs/\(third)/complete", body: #"{"error": "node LoadImage is missing"}"#)
                #expect(permanent.json?["status"] == "failed")
                #expect(permanent.json?["error"] == "node LoadImage is missing")
                #expect(try await server.request(.post, "/api/jobs/\(UUID().uuidString)/heartbeat").errorCode == "JOB_NOT_FOUND")
            }
        }

        @Test("a job asked for a pull-mode server that is then deleted runs on another server", arguments: TestEngine.available)
        func deletedWorker(engine: TestEngine) async throws {
            try await withComfyUIStandIns { standIns in
                try await withTestServer(engine, configure: generationSettings) { server in
                    let pushed = try await server.register(standIns[0])
                    let worker = try await server.registerPullWorker()
                    let (_, clip) = try await server.promptedClip()
                    let job = try #require(
                        try await server.request(.post, "/api/clips/\(clip)/generate", body: #"{"server_id": "\#(worker)"}"#).json?.jobIDs
                            .first)
                    try await Task.sleep(for: .milliseconds(300))
                    #expect(try await server.json("/api/jobs/\(job)")["status"] == "queued", "waiting for its worker")
                    #expect(try await server.request(.delete, "/api/servers/\(worker)").status == 204)
                    let done = try await server.finishedJob(job)
                    #expect(done["status"] == "succeeded", "\(done)")
                    #expect(done["server_id"]?.stringValue == pushed)
                }
            }
        }

        @Test("a worker that stops heartbeating loses the job when its lease runs out", arguments: TestEngine.available)
        func leaseExpiry(engine: TestEngine) async throws {
            try await withTestServer(
                engine,
                configure: { configuration in
                    generationSettings(&configuration)
                    configuration.generation.dispatcherEnabled = false
                    configuration.generation.leaseSeconds = 1
                }
            ) { server in
                let worker = try await server.registerPullWorker()
                let (_, clip) = try await server.promptedClip()
                let job = try #require(
                    try await server.request(.post, "/api/clips/\(clip)/generate", body: #"{"server_id": "\#(worker)"}"#).json?.jobIDs.first
                )
                #expect(
                    try await server.request(.post, "/api/workers/\(worker)/claim", body: #"{"checkpoints": ["a.safetensors"]}"#).status
                        == 200)
                try await Task.sleep(for: .milliseconds(1500))
                // The next claim recovers it (no dispatcher runs here) and hands it out again.
                let again = try await server.request(.post, "/api/workers/\(worker)/claim", body: #"{"checkpoints": ["a.safetensors"]}"#)
                #expect(again.json?["job"]?["id"]?.stringValue == job)
                #expect(again.json?["job"]?["attempts"] == 2)
            }
        }

        @Test(
            "destination pool: outputs land in the project's pool, not the gallery, and apply places them", arguments: TestEngine.available)
        func poolDestination(engine: TestEngine) async throws {
            try await withComfyUIStandIns { standIns in
                try await withTestServer(engine, configure: generationSettings) { server in
                    _ = try await server.register(standIns[0])
                    let (project, clip) = try await server.promptedClip("a red door")
                    #expect(
                        try await server.request(.post, "/api/clips/\(clip)/generate", body: #"{"destination": "shelf"}"#).status == 400)
                    let reply = try await server.request(
                        .post, "/api/clips/\(clip)/generate", body: #"{"destination": "pool", "params": {"seed": 7}}"#)
                    let job = try #require(reply.json?.jobIDs.first)
                    #expect(reply.json?["jobs"]?.arrayValue?.first?["destination"] == "pool")
                    #expect(try await server.finishedJob(job)["status"] == "succeeded")
                    #expect(try await server.json("/api/clips/\(clip)/gallery")["generated_images"]?.arrayValue?.isEmpty == true)
                    let pool = try await server.json("/api/projects/\(project)/pool")
                    let item = try #require(pool.items.first)
                    #expect(pool.items.count == 1)
                    #expect(item["source_type"] == "clip_generation")
                    #expect(item["source_clip_id"]?.stringValue == clip)
                    #expect(item["job_id"]?.stringValue == job)
                    #expect(item["metadata"]?["prompt"] == "a red door")
                    #expect(item["metadata"]?["seed"] == 7)
                    let applied = try await server.request(
                        .post, "/api/pool/\(try #require(item["id"]?.stringValue))/apply", body: #"{"clip_id": "\#(clip)"}"#)
                    #expect(applied.json?["prompt"] == "a red door")
                    #expect(applied.json?["seed"] == 7)

                    let batch = try await server.request(.post, "/api/projects/\(project)/batches", body: #"{"destination": "pool"}"#)
                    #expect(batch.status == 202, "\(batch.body)")
                    _ = try await server.finishedBatch(try #require(batch.json?["id"]?.stringValue))
                    let batched = try await server.json("/api/projects/\(project)/pool?source_type=batch_generation")
                    #expect(batched.items.count == 1)
                }
            }
        }
    }
}
