import Foundation
import StoryboardAPI
import StoryboardCore
import StoryboardDatabase
import StoryboardTestSupport
import Testing

/// Fast settings for tests: quick polls and back-off, a short lease.
func generationSettings(_ configuration: inout StoryboardConfiguration) {
    configuration.generation.dispatcherEnabled = true
    configuration.generation.pollInterval = 0.05
    configuration.generation.retryBaseDelay = 0.05
    configuration.generation.retryMaxDelay = 0.2
    configuration.generation.leaseSeconds = 5
    configuration.generation.checkInterval = 0
    configuration.generation.offlineRetryAfter = 60
    configuration.generation.eventStreamDuration = 2
}

extension APIClient {
    /// Registers a stand-in as a server and checks it; its id.
    func register(_ standIn: ComfyUIStandIn, maxConcurrent: Int = 1) async throws -> String {
        let id = try await createID(
            "/api/servers",
            #"{"name": "\#(standIn.name)", "url": "\#(standIn.url)", "server_type": "comfyui", "max_concurrent": \#(maxConcurrent)}"#)
        let check = try await request(.post, "/api/servers/\(id)/check")
        guard check.json?["online"] == true else { throw UnexpectedReply(description: "check of \(standIn.name): \(check.body)") }
        return id
    }

    /// A project with one clip that has an image prompt; (project, clip).
    func promptedClip(_ prompt: String = "a neon city at night") async throws -> (project: String, clip: String) {
        let made = try await makeProject(scenes: 1, clips: 1)
        let clip = made.clips[0][0]
        let reply = try await request(.put, "/api/clips/\(clip)/prompts", body: #"{"image_prompt": "\#(prompt)"}"#)
        guard reply.status == 200 else { throw UnexpectedReply(description: reply.body) }
        return (made.project, clip)
    }

    /// Polls the job until it is finished; its JSON.
    func finishedJob(_ id: String, timeout: Double = 90) async throws -> JSONValue {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let job = try await json("/api/jobs/\(id)")
            if let status = job["status"]?.stringValue, JobStatus(rawValue: status)?.isFinished == true { return job }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw UnexpectedReply(description: "job \(id) did not finish: \(try await json("/api/jobs/\(id)"))")
    }

    func waitForStatus(_ id: String, _ status: String, timeout: Double = 30) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try await json("/api/jobs/\(id)")["status"]?.stringValue == status { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw UnexpectedReply(description: "job \(id) never became \(status): \(try await json("/api/jobs/\(id)"))")
    }
}

/// The generation suites run one test at a time: each runs servers, stand-ins and a
/// dispatcher polling them, and together they would starve the rest of the suite on 2 cores.
@Suite("Generation", .serialized)
enum GenerationSuites {}

extension JSONValue {
    var jobIDs: [String] { self["jobs"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? [] }
}

extension GenerationSuites {
    @Suite("Generation: servers, queue and dispatcher", .timeLimit(.minutes(3)))
    struct GenerationAPITests {
        @Test(
            "check records online state, queue and models; an unreachable server is offline with the reason",
            arguments: TestEngine.available)
        func check(engine: TestEngine) async throws {
            try await withComfyUIStandIns { standIns in
                try await withTestServer(engine) { server in
                    let id = try await server.register(standIns[0])
                    let status = try await server.json("/api/servers/\(id)/status")
                    #expect(status["online"] == true)
                    #expect(status["queue_length"] == 0)
                    #expect(status["checkpoints"]?.arrayValue?.contains("sdxl_base_1.0.safetensors") == true)
                    #expect(status["devices"]?.arrayValue?.first?["type"] == "cpu")
                    #expect(status["system"]?["comfyui_version"] == "0.3.43")
                    #expect((status["latency_ms"]?.doubleValue ?? -1) >= 0)

                    let port = try await unusedPort()
                    let down = try await server.createID(
                        "/api/servers", #"{"name": "Down", "url": "http://127.0.0.1:\#(port)", "server_type": "comfyui"}"#)
                    #expect(try await server.request(.get, "/api/servers/\(down)/status").status == 404, "never checked yet")
                    let checked = try await server.request(.post, "/api/servers/\(down)/check")
                    #expect(checked.status == 200)
                    #expect(checked.json?["online"] == false)
                    #expect(checked.json?["last_error"]?.stringValue?.contains("refused") == true, "\(checked.body)")

                    standIns[0].setFault(.serverError)
                    let failing = try await server.request(.post, "/api/servers/\(id)/check")
                    #expect(failing.json?["online"] == false)
                    #expect(failing.json?["last_error"]?.stringValue?.contains("500") == true)
                    #expect(try await server.request(.post, "/api/servers/not-a-uuid/check").status == 400)
                    #expect(try await server.request(.post, "/api/servers/\(UUID().uuidString)/check").errorCode == "SERVER_NOT_FOUND")
                }
            }
        }

        @Test(
            "generate: jobs run on the stand-in, outputs land in the gallery once, the first is selected", arguments: TestEngine.available)
        func generate(engine: TestEngine) async throws {
            try await withComfyUIStandIns { standIns in
                try await withTestServer(engine, configure: generationSettings) { server in
                    let serverID = try await server.register(standIns[0])
                    let (project, clip) = try await server.promptedClip()
                    let tree = "/api/projects/\(project)?include=scenes.clips"
                    let tagBefore = try #require(try await server.request(.get, tree).header("ETag"))
                    let reply = try await server.request(
                        .post, "/api/clips/\(clip)/generate",
                        body:
                            #"{"model": "sdxl_base_1.0.safetensors", "count": 2, "preset": "fast", "params": {"steps": 9, "seed": 42, "width": 832}}"#
                    )
                    #expect(reply.status == 202, "\(reply.body)")
                    let ids = try #require(reply.json?.jobIDs)
                    #expect(ids.count == 2)
                    let first = try #require(reply.json?["jobs"]?.arrayValue?.first)
                    #expect(first["status"] == "queued")
                    #expect(first["params"]?["steps"] == 9, "the request beats the preset")
                    #expect(first["params"]?["cfg"] == 6, "sdxl fast preset")
                    #expect(first["params"]?["width"] == 832)
                    #expect(first["params"]?["height"] == 1024)
                    var seeds = Set<Double>()
                    for id in ids {
                        let job = try await server.finishedJob(id)
                        #expect(job["status"] == "succeeded", "\(job)")
                        #expect(job["attempts"] == 1)
                        #expect(job["server_id"]?.stringValue == serverID)
                        #expect(job["result_media_ids"]?.arrayValue?.count == 1)
                        seeds.insert(try #require(job["params"]?["seed"]?.doubleValue))
                    }
                    #expect(seeds == [42, 43], "consecutive seeds from the given one")
                    // Results are counted apart from the project row, but still change the tree's tag.
                    let changed = try await server.request(.get, tree, headers: ["If-None-Match": tagBefore])
                    #expect(changed.status == 200, "the tree changed: its clip has a selection now")
                    let tagAfter = try #require(changed.header("ETag"))
                    #expect(tagAfter != tagBefore)
                    #expect(changed.json?["scenes"]?.arrayValue?.first?["clips"]?.arrayValue?.first?["selected_image_id"] != .null)
                    #expect(try await server.request(.get, tree, headers: ["If-None-Match": tagAfter]).status == 304)
                    let gallery = try await server.json("/api/clips/\(clip)/gallery")
                    let images = try #require(gallery["generated_images"]?.arrayValue)
                    #expect(images.count == 2)
                    #expect(gallery["selected_image_id"] != .null)
                    #expect(
                        images.allSatisfy {
                            $0["server_name"] == "comfyui-1" && $0["model_name"] == "sdxl_base_1.0.safetensors"
                                && $0["model_type"] == "sdxl"
                        })
                    let item = try #require(images.first?["id"]?.stringValue)
                    let media = try await server.request(.get, "/api/media/\(item)")
                    #expect(media.status == 200)
                    #expect(media.header("Content-Type") == "image/png")
                    #expect(media.data.starts(with: [0x89, 0x50, 0x4E, 0x47]))
                    #expect(standIns[0].promptsReceived == 2)
                    let listed = try await server.json("/api/jobs?clip_id=\(clip)&status=succeeded")
                    #expect(listed["items"]?.arrayValue?.count == 2)
                    // Each job's time is split into its phases, once per job.
                    let metrics = PrometheusText(try await server.request(.get, "/metrics").body)
                    for phase in ["queued", "prepare", "upstream", "collect", "attach"] {
                        let recorded = metrics.jobPhase(phase)
                        #expect(recorded.count == 2, "\(phase): \(recorded)")
                        #expect(recorded.seconds > 0 && recorded.seconds < 60, "\(phase): \(recorded)")
                    }
                }
            }
        }

        @Test("bad generate requests are refused by field before anything is queued", arguments: TestEngine.available)
        func validation(engine: TestEngine) async throws {
            try await withComfyUIStandIns { standIns in
                try await withTestServer(engine, configure: generationSettings) { server in
                    _ = try await server.register(standIns[0])
                    let (_, clip) = try await server.promptedClip()
                    let cases: [(String, String)] = [
                        (#"{"params": {"width": 100}}"#, "params.width"),
                        (#"{"params": {"steps": 0, "cfg": 99}}"#, "params.steps"),
                        (#"{"params": {"seed": -2}}"#, "params.seed"),
                        (#"{"params": {"frames": 301}}"#, "params.frames"),
                        (#"{"params": {"loras": [{"name": "x.safetensors", "strength": 9}]}}"#, "params.loras[0].strength"),
                        (#"{"params": {"wdth": 512}}"#, "params.wdth"),
                        (#"{"params": [1]}"#, "params"),
                        (#"{"count": 0}"#, "count"),
                        (#"{"count": 17}"#, "count"),
                        (#"{"generation_type": "gif"}"#, "generation_type"),
                        (#"{"preset": "turbo"}"#, "preset"),
                        (#"{"model": "missing.safetensors"}"#, "model"),
                        (#"{"model": "../../etc/passwd"}"#, "model"),
                        (#"{"server_id": "nope"}"#, "server_id"),
                        (#"{"server_id": "\#(UUID().uuidString)"}"#, "server_id"),
                        (#"{"colour": "red"}"#, "colour"),
                    ]
                    for (body, field) in cases {
                        let reply = try await server.request(.post, "/api/clips/\(clip)/generate", body: body)
                        #expect(reply.status == 400, "\(body)")
                        #expect(reply.json?["error"]?["details"]?["fields"]?[field] != nil, "\(body) → \(reply.body)")
                    }
                    // A body's wrong JSON types and its wrong values are answered together, in one 400.
                    let both = try await server.request(.post, "/api/clips/\(clip)/generate", body: #"{"server_id": "x", "preset": "bad"}"#)
                    #expect(
                        both.json?["error"]?["details"]?["fields"]?.objectValue?.keys.sorted() == ["preset", "server_id"], "\(both.body)")
                    let unknownAndMissing = try await server.request(.patch, "/api/jobs/\(UUID().uuidString)", body: #"{"foo": 1}"#)
                    #expect(
                        unknownAndMissing.json?["error"]?["details"]?["fields"]?.objectValue?.keys.sorted() == ["foo", "priority"],
                        "\(unknownAndMissing.body)")
                    let video = try await server.request(.post, "/api/clips/\(clip)/generate", body: #"{"generation_type": "video"}"#)
                    #expect(
                        video.json?["error"]?["details"]?["fields"]?["selected_image_id"] != nil,
                        "video starts from a selected image: \(video.body)")
                    let bare = try await server.makeProject(name: "Bare", scenes: 1, clips: 1).clips[0][0]
                    let noPrompt = try await server.request(.post, "/api/clips/\(bare)/generate", body: "{}")
                    #expect(noPrompt.json?["error"]?["details"]?["fields"]?["image_prompt"] != nil)
                    #expect(
                        try await server.request(.post, "/api/clips/\(UUID().uuidString)/generate", body: "{}").errorCode
                            == "CLIP_NOT_FOUND")
                    #expect(try await server.request(.post, "/api/clips/zzz/generate", body: "{}").status == 400)
                    #expect(try await server.request(.get, "/api/jobs?status=done").status == 400)
                    #expect(try await server.request(.get, "/api/jobs?clip_id=12").status == 400)
                    #expect(try await server.json("/api/jobs")["items"]?.arrayValue?.isEmpty == true, "nothing was queued")
                }
            }
        }

        @Test(
            "a failing server: the job retries on the other one; a refused workflow fails at once with the upstream's words",
            arguments: TestEngine.available)
        func failover(engine: TestEngine) async throws {
            try await withComfyUIStandIns(count: 2) { standIns in
                try await withTestServer(engine, configure: generationSettings) { server in
                    let broken = try await server.register(standIns[0])
                    let healthy = try await server.register(standIns[1])
                    standIns[0].setFault(.serverError)
                    let (project, clip) = try await server.promptedClip()
                    // Asked for the broken one: it is tried first, then the other.
                    let queued = try await server.request(.post, "/api/clips/\(clip)/generate", body: #"{"server_id": "\#(broken)"}"#)
                    let job = try await server.finishedJob(try #require(queued.json?.jobIDs.first))
                    #expect(job["status"] == "succeeded", "\(job)")
                    #expect(job["attempts"] == 2)
                    #expect(job["server_id"]?.stringValue == healthy)
                    #expect(try await server.json("/api/servers/\(broken)/status")["consecutive_failures"] == 1)

                    standIns[1].setFault(.refuseWorkflow)
                    standIns[0].setFault(.refuseWorkflow)
                    let refused = try await server.request(.post, "/api/clips/\(clip)/generate", body: "{}")
                    let failed = try await server.finishedJob(try #require(refused.json?.jobIDs.first))
                    #expect(failed["status"] == "failed")
                    #expect(failed["attempts"] == 1, "a refused workflow is not retried")
                    #expect(failed["error"]?.stringValue?.contains("Value not in list") == true, "\(failed)")

                    // Each attempt's start, then how it ended; the first start names the server it was tried on.
                    let events = try await server.projectEvents(project)
                    let kinds = { (job: String?) in
                        events.filter { $0.data?["job_id"]?.stringValue == job && $0.event != "progress" && $0.event != "preview" }.map(
                            \.event)
                    }
                    #expect(kinds(job["id"]?.stringValue) == ["queued", "started", "retrying", "started", "succeeded"])
                    #expect(kinds(failed["id"]?.stringValue) == ["queued", "started", "failed"])
                    let firstStart = events.first { $0.event == "started" && $0.data?["job_id"] == job["id"] }
                    #expect(firstStart?.data?["server_id"]?.stringValue == broken)
                }
            }
        }

        @Test(
            "dropped connections, execution errors and failed downloads are retried, then failed with the reason",
            arguments: TestEngine.available)
        func transientFailures(engine: TestEngine) async throws {
            try await withComfyUIStandIns(count: 2) { standIns in
                try await withTestServer(
                    engine,
                    configure: {
                        generationSettings(&$0)
                        // Here the failures are the job's, not the servers' (the breaker has its own test).
                        $0.generation.failureThreshold = 100
                    }
                ) { server in
                    _ = try await server.register(standIns[0])
                    _ = try await server.register(standIns[1])
                    let (_, clip) = try await server.promptedClip()
                    for fault in [UpstreamFault.dropConnection, .executionError, .failDownloads] {
                        standIns[0].setFault(fault)
                        standIns[1].setFault(.none)
                        let reply = try await server.request(
                            .post, "/api/clips/\(clip)/generate",
                            body:
                                #"{"server_id": "\#(try await server.json("/api/servers")["items"]?.arrayValue?.first?["id"]?.stringValue ?? "")"}"#
                        )
                        let job = try await server.finishedJob(try #require(reply.json?.jobIDs.first))
                        #expect(job["status"] == "succeeded", "\(fault): \(job)")
                    }
                    // Everywhere broken: max_retries + 1 attempts, then failed with the last reason.
                    standIns[0].setFault(.executionError)
                    standIns[1].setFault(.executionError)
                    let reply = try await server.request(.post, "/api/clips/\(clip)/generate", body: "{}")
                    let job = try await server.finishedJob(try #require(reply.json?.jobIDs.first))
                    #expect(job["status"] == "failed")
                    #expect(job["attempts"] == 4)
                    #expect(job["error"]?.stringValue?.contains("CUDA out of memory") == true, "\(job)")
                    let gallery = try await server.json("/api/clips/\(clip)/gallery")
                    #expect(gallery["generated_images"]?.arrayValue?.count == 3, "one image per successful job, none twice")
                }
            }
        }

        @Test(
            "cancel stops a running job upstream; delete of a clip cancels its queued jobs in the same transaction",
            arguments: TestEngine.available)
        func cancel(engine: TestEngine) async throws {
            try await withComfyUIStandIns { standIns in
                try await withTestServer(engine, configure: generationSettings) { server in
                    _ = try await server.register(standIns[0])
                    standIns[0].setFault(.hang)
                    let (project, clip) = try await server.promptedClip()
                    let running = try #require(
                        try await server.request(.post, "/api/clips/\(clip)/generate", body: "{}").json?.jobIDs.first)
                    try await server.waitForStatus(running, "running")
                    let sentBy = Date().addingTimeInterval(30)
                    while standIns[0].promptsReceived == 0 && Date() < sentBy { try await Task.sleep(for: .milliseconds(50)) }
                    let cancelled = try await server.request(.post, "/api/jobs/\(running)/cancel")
                    #expect(cancelled.status == 200)
                    #expect(cancelled.json?["status"] == "cancelled")
                    #expect(try await server.request(.post, "/api/jobs/\(running)/cancel").status == 409, "already finished")
                    let deadline = Date().addingTimeInterval(30)
                    while standIns[0].interrupts + standIns[0].removedFromQueue == 0 && Date() < deadline {
                        try await Task.sleep(for: .milliseconds(50))
                    }
                    #expect(standIns[0].interrupts + standIns[0].removedFromQueue == 1, "the prompt was stopped upstream")

                    // The server is busy (max_concurrent 1) with nothing: queue two, hang the first.
                    let queued = try #require(
                        try await server.request(.post, "/api/clips/\(clip)/generate", body: #"{"count": 2}"#).json?.jobIDs)
                    #expect(try await server.request(.delete, "/api/clips/\(clip)").status == 204)
                    for id in queued {
                        #expect(try await server.request(.get, "/api/jobs/\(id)").status == 404, "trashed with the clip")
                    }
                    #expect(
                        try await server.json("/api/jobs?project_id=\(project)")["items"]?.arrayValue?.isEmpty == true,
                        "the clip's jobs went with it")
                    #expect(try await server.request(.post, "/api/clips/\(clip)/restore").status == 200)
                    #expect(try await server.json("/api/jobs?project_id=\(project)")["items"]?.arrayValue?.count == 3)
                    for id in queued {
                        let job = try await server.json("/api/jobs/\(id)")
                        #expect(job["status"] == "cancelled", "restored, not run again")
                        #expect(job["error"]?.stringValue?.contains("deleted") == true)
                    }
                    // Retry makes a new job from a cancelled one.
                    standIns[0].setFault(.none)
                    let retried = try await server.request(.post, "/api/jobs/\(running)/retry")
                    #expect(retried.status == 202)
                    let again = try await server.finishedJob(try #require(retried.json?["id"]?.stringValue))
                    #expect(again["status"] == "succeeded")
                    #expect(
                        try await server.request(.post, "/api/jobs/\(running)/retry").status == 409,
                        "a job is retried once; retry its retry")
                    #expect(try await server.request(.post, "/api/jobs/\(try #require(again["id"]?.stringValue))/retry").status == 409)

                    // Deleting the project cancels what it still has running, in the delete's transaction.
                    standIns[0].setFault(.hang)
                    let last = try #require(try await server.request(.post, "/api/clips/\(clip)/generate", body: "{}").json?.jobIDs.first)
                    try await server.waitForStatus(last, "running")
                    #expect(try await server.request(.delete, "/api/projects/\(project)").status == 204)
                    let lastID = try #require(UUID(uuidString: last))
                    let trashed = try #require(try await server.database.jobs.find(id: lastID, includeDeleted: true))
                    #expect(trashed.status == .cancelled)
                    #expect(trashed.meta.isDeleted)
                    #expect(trashed.error?.contains("project was deleted") == true)
                }
            }
        }

        @Test(
            "circuit breaker: a server failing N times in a row leaves the rotation, is checked again later, and work resumes",
            arguments: TestEngine.available)
        func circuitBreaker(engine: TestEngine) async throws {
            try await withComfyUIStandIns { standIns in
                try await withTestServer(
                    engine,
                    configure: {
                        generationSettings(&$0)
                        $0.generation.failureThreshold = 2
                        $0.generation.offlineRetryAfter = 0.5
                        // Healthy servers are not re-checked during the test; an open circuit is, after its pause.
                        $0.generation.checkInterval = 60
                        $0.generation.retryMaxDelay = 0.05
                        $0.generation.retryBaseDelay = 0.05
                    }
                ) { server in
                    let id = try await server.register(standIns[0])
                    // The box answers 500 to everything, checks included.
                    standIns[0].setFault(.serverError)
                    let (_, clip) = try await server.promptedClip()
                    let job = try #require(try await server.request(.post, "/api/clips/\(clip)/generate", body: "{}").json?.jobIDs.first)
                    // Two failures open the circuit: the job waits in the queue, the server is offline.
                    let deadline = Date().addingTimeInterval(30)
                    var status = try await server.json("/api/servers/\(id)/status")
                    while status["retry_at"] == .null && Date() < deadline {
                        try await Task.sleep(for: .milliseconds(50))
                        status = try await server.json("/api/servers/\(id)/status")
                    }
                    #expect(status["online"] == false)
                    #expect((status["consecutive_failures"]?.doubleValue ?? 0) >= 2)
                    // The circuit opens before the failed attempt is written back: the job is queued a moment later.
                    try await server.waitForStatus(job, "queued", timeout: 10)
                    // The box comes back: the scheduled check after the pause finds it, the job runs.
                    standIns[0].setFault(.none)
                    let finished = try await server.finishedJob(job)
                    #expect(finished["status"] == "succeeded")
                    #expect(finished["attempts"] == 3, "\(finished)")
                    #expect(try await server.json("/api/servers/\(id)/status")["online"] == true)
                }
            }
        }

        @Test(
            "character samples: N seeds, images in the character's own gallery, one becomes a reference image",
            arguments: TestEngine.available)
        func samples(engine: TestEngine) async throws {
            try await withComfyUIStandIns { standIns in
                try await withTestServer(engine, configure: generationSettings) { server in
                    _ = try await server.register(standIns[0])
                    let project = try await server.createID("/api/projects", #"{"name": "Cast"}"#)
                    let character = try await server.createID(
                        "/api/projects/\(project)/characters",
                        #"{"name": "Mara", "description": "red coat", "trigger_words": ["mara_v2"], "lora": "hero_character.safetensors"}"#
                    )
                    let reply = try await server.request(
                        .post, "/api/characters/\(character)/samples", body: #"{"count": 3, "prompt": "standing in rain"}"#)
                    #expect(reply.status == 202, "\(reply.body)")
                    let ids = try #require(reply.json?.jobIDs)
                    #expect(ids.count == 3)
                    #expect(reply.json?["jobs"]?.arrayValue?.first?["prompt"] == "standing in rain mara_v2, red coat")
                    #expect(
                        reply.json?["jobs"]?.arrayValue?.first?["params"]?["loras"]?.arrayValue?.first?["name"]
                            == "hero_character.safetensors")
                    for id in ids { #expect(try await server.finishedJob(id)["status"] == "succeeded") }
                    let samples = try #require(try await server.json("/api/characters/\(character)/samples")["items"]?.arrayValue)
                    #expect(samples.count == 3)
                    #expect(Set(samples.compactMap { $0["seed"]?.doubleValue }).count == 3)
                    #expect(try await server.json("/api/characters/\(character)/reference-images")["items"]?.arrayValue?.isEmpty == true)
                    let chosen = try #require(samples.first?["id"]?.stringValue)
                    let promoted = try await server.request(.post, "/api/characters/\(character)/samples/\(chosen)/make-reference")
                    #expect(promoted.json?["kind"] == "reference")
                    #expect(try await server.json("/api/characters/\(character)/reference-images")["items"]?.arrayValue?.count == 1)
                    #expect(try await server.json("/api/characters/\(character)/samples")["items"]?.arrayValue?.count == 2)
                    #expect(try await server.request(.post, "/api/characters/\(character)/samples", body: #"{"count": 99}"#).status == 400)
                    #expect(
                        try await server.request(.post, "/api/characters/\(character)/samples/\(UUID().uuidString)/make-reference").status
                            == 404)
                }
            }
        }
    }
}
