import Foundation
import Logging
import NIOCore
import StoryboardAPI
import StoryboardCore
import StoryboardDatabase
import StoryboardTestSupport
import Testing

@testable import StoryboardServices

extension APIClient {
    /// Every event of the project's stream so far (the stream ends after the test's 2 s).
    func projectEvents(_ project: String) async throws -> [(id: Int, event: String, data: JSONValue?)] {
        GenerationSuites.JobEventTests.events(try await request(.get, "/api/events?project_id=\(project)").body)
    }

    /// Asks for the job's preview until one is there; the reply.
    func firstPreview(_ job: String, timeout: Double = 30) async throws -> TestServer.Reply {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let reply = try await request(.get, "/api/jobs/\(job)/preview")
            if reply.status == 200 { return reply }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw UnexpectedReply(description: "job \(job) never had a preview: \(try await json("/api/jobs/\(job)"))")
    }
}

extension GenerationSuites {
    @Suite("Generation: progress, previews and stalls over ComfyUI's websocket", .timeLimit(.minutes(3)))
    struct ProgressAPITests {
        @Test(
            "progress messages become rate-limited progress events in order, ending with the last step; the job keeps its latest progress",
            arguments: TestEngine.available)
        func progress(engine: TestEngine) async throws {
            try await withComfyUIStandIns { standIns in
                try await withTestServer(engine, configure: generationSettings) { server in
                    _ = try await server.register(standIns[0])
                    // 40 steps in 1.5 s: ~27 messages a second, far more than a job may write.
                    standIns[0].setDelay(1.5)
                    let (project, clip) = try await server.promptedClip()
                    let job = try #require(
                        try await server.request(.post, "/api/clips/\(clip)/generate", body: #"{"params": {"steps": 40}}"#).json?.jobIDs
                            .first)
                    let finished = try await server.finishedJob(job)
                    #expect(finished["status"] == "succeeded", "\(finished)")
                    #expect(finished["progress"]?["value"] == 40, "the last step is always written: \(finished)")
                    #expect(finished["progress"]?["max"] == 40)
                    #expect(finished["progress"]?["updated_at"]?.stringValue != nil)
                    #expect(standIns[0].progressSent == 40)
                    #expect(standIns[0].webSocketsOpened == 1)

                    let events = try await server.projectEvents(project).filter { $0.data?["job_id"]?.stringValue == job }
                    let kinds = events.map(\.event)
                    #expect(kinds.first == "queued")
                    #expect(kinds.dropFirst().first == "started")
                    #expect(kinds.last == "succeeded", "\(kinds)")
                    let progress = events.filter { $0.event == "progress" }
                    let values = progress.compactMap { $0.data?["value"]?.doubleValue }
                    #expect(values.count == progress.count, "each progress event has its value")
                    #expect(progress.allSatisfy { $0.data?["max"] == 40 })
                    #expect(values == values.sorted(), "steps only go up: \(values)")
                    #expect(values.last == 40)
                    // At most ~4 a second over 1.5 s (plus the last one), and more than just the last.
                    #expect((2...9).contains(progress.count), "\(values)")
                    #expect(try await server.database.jobPreviews.count() == 0, "the preview went with the finished job")
                }
            }
        }

        @Test(
            "an instant prompt: its last step is kept on the job and its progress event comes just before succeeded, with no preview written",
            arguments: TestEngine.available)
        func instantPrompt(engine: TestEngine) async throws {
            try await withComfyUIStandIns { standIns in
                try await withTestServer(engine, configure: generationSettings) { server in
                    _ = try await server.register(standIns[0])
                    let (project, clip) = try await server.promptedClip()
                    let job = try #require(
                        try await server.request(.post, "/api/clips/\(clip)/generate", body: #"{"params": {"steps": 8}}"#).json?.jobIDs
                            .first)
                    let finished = try await server.finishedJob(job)
                    #expect(finished["status"] == "succeeded", "\(finished)")
                    #expect(finished["progress"]?["value"] == 8, "\(finished)")
                    #expect(finished["progress"]?["max"] == 8)
                    #expect(standIns[0].progressSent == 8)
                    let events = try await server.projectEvents(project).filter { $0.data?["job_id"]?.stringValue == job }
                    let kinds = events.map(\.event)
                    #expect(kinds.last == "succeeded", "\(kinds)")
                    let progress = events.filter { $0.event == "progress" }
                    #expect(progress.last?.data?["value"] == 8, "\(kinds)")
                    #expect(progress.last?.data?["status"] == "running", "a progress event speaks of a running job")
                    #expect(
                        (kinds.lastIndex(of: "preview") ?? -1) < (kinds.lastIndex(of: "progress") ?? -1),
                        "no preview after the last step: \(kinds)")
                    #expect(try await server.database.jobPreviews.count() == 0)
                }
            }
        }

        @Test(
            "preview: 204 before the first, the latest image while running (its type, nosniff), gone when the job ends or is cancelled; bad ids",
            arguments: TestEngine.available)
        func preview(engine: TestEngine) async throws {
            var options = ComfyUIStandIn.Options()
            options.previewFormat = .jpeg
            options.delay = 2
            try await withComfyUIStandIns(options: options) { standIns in
                try await withTestServer(engine, configure: generationSettings) { server in
                    let (_, clip) = try await server.promptedClip()
                    // No server yet: the job waits in the queue, with no preview.
                    let job = try #require(
                        try await server.request(.post, "/api/clips/\(clip)/generate", body: #"{"params": {"steps": 8}}"#).json?.jobIDs
                            .first)
                    let none = try await server.request(.get, "/api/jobs/\(job)/preview")
                    #expect(none.status == 204)
                    #expect(none.data.isEmpty)
                    _ = try await server.register(standIns[0])

                    let reply = try await server.firstPreview(job)
                    #expect(reply.header("Content-Type") == "image/jpeg")
                    #expect(reply.header("X-Content-Type-Options") == "nosniff")
                    #expect(reply.header("Cache-Control") == "no-store")
                    #expect(reply.data == (try MediaFixtures.data("still.jpg")), "the frame's image, without ComfyUI's 8-byte header")
                    #expect(try await server.json("/api/jobs/\(job)")["status"] == "running")
                    #expect(try await server.database.jobPreviews.count() == 1)

                    #expect(try await server.finishedJob(job)["status"] == "succeeded")
                    #expect(try await server.request(.get, "/api/jobs/\(job)/preview").status == 204, "a finished job has no preview")
                    #expect(try await server.database.jobPreviews.count() == 0)

                    // Cancelled while running: its preview goes in the cancel's own statement.
                    standIns[0].setDelay(30)
                    let cancelled = try #require(
                        try await server.request(.post, "/api/clips/\(clip)/generate", body: #"{"params": {"steps": 60}}"#).json?.jobIDs
                            .first)
                    _ = try await server.firstPreview(cancelled)
                    #expect(try await server.request(.post, "/api/jobs/\(cancelled)/cancel").status == 200)
                    #expect(try await server.request(.get, "/api/jobs/\(cancelled)/preview").status == 204)
                    #expect(try await server.database.jobPreviews.count() == 0)

                    let bad = try await server.request(.get, "/api/jobs/not-a-uuid/preview")
                    #expect(bad.status == 400)
                    #expect(bad.json?["error"]?["code"]?.stringValue != nil, "in the error envelope: \(bad.body)")
                    let unknown = try await server.request(.get, "/api/jobs/\(UUID().uuidString)/preview")
                    #expect(unknown.status == 404)
                    #expect(unknown.errorCode == "JOB_NOT_FOUND")
                }
            }
        }

        @Test("the jobs on one server share one websocket, and each job gets its own prompt's progress", arguments: TestEngine.available)
        func sharedSocket(engine: TestEngine) async throws {
            try await withComfyUIStandIns { standIns in
                try await withTestServer(engine, configure: generationSettings) { server in
                    _ = try await server.register(standIns[0], maxConcurrent: 3)
                    standIns[0].setDelay(0.3)
                    var jobs: [(id: String, steps: Int)] = []
                    for steps in [3, 5, 7, 9] {
                        let (_, clip) = try await server.promptedClip()
                        let id = try #require(
                            try await server.request(.post, "/api/clips/\(clip)/generate", body: #"{"params": {"steps": \#(steps)}}"#).json?
                                .jobIDs.first)
                        jobs.append((id, steps))
                    }
                    for job in jobs {
                        let finished = try await server.finishedJob(job.id)
                        #expect(finished["status"] == "succeeded", "\(finished)")
                        // A message routed to the wrong job would show another prompt's step count.
                        #expect(finished["progress"]?["max"]?.doubleValue == Double(job.steps), "\(finished)")
                        #expect(finished["progress"]?["value"]?.doubleValue == Double(job.steps), "\(finished)")
                    }
                    #expect(standIns[0].webSocketsOpened == 1, "one socket for the four jobs")
                }
            }
        }

        @Test(
            "a websocket that drops mid-job, or never opens, does not fail the job: /history polling finishes it",
            arguments: TestEngine.available)
        func droppedSocket(engine: TestEngine) async throws {
            try await withComfyUIStandIns { standIns in
                try await withTestServer(engine, configure: generationSettings) { server in
                    _ = try await server.register(standIns[0])
                    standIns[0].setDelay(1)
                    standIns[0].setWebSocket(.dropMidJob)
                    let (_, clip) = try await server.promptedClip()
                    let dropped = try #require(
                        try await server.request(.post, "/api/clips/\(clip)/generate", body: #"{"params": {"steps": 10}}"#).json?.jobIDs
                            .first)
                    let job = try await server.finishedJob(dropped)
                    #expect(job["status"] == "succeeded", "\(job)")
                    #expect(job["attempts"] == 1, "a dropped socket is no failure")
                    #expect(job["result_media_ids"]?.arrayValue?.count == 1)
                    #expect(standIns[0].webSocketsDropped == 1)
                    #expect(standIns[0].progressSent == 10, "the prompt went on after the drop")
                    // What came before the drop was kept; nothing after it was seen.
                    let value = try #require(job["progress"]?["value"]?.doubleValue)
                    #expect(value >= 1 && value <= 5, "\(job)")

                    standIns[0].setWebSocket(.refuse)
                    let opened = standIns[0].webSocketsOpened
                    let unsocketed = try #require(
                        try await server.request(.post, "/api/clips/\(clip)/generate", body: "{}").json?.jobIDs.first)
                    let polled = try await server.finishedJob(unsocketed)
                    #expect(polled["status"] == "succeeded", "\(polled)")
                    #expect(polled["progress"] == .null, "no socket, no progress")
                    #expect(standIns[0].webSocketsOpened == opened)
                }
            }
        }

        @Test(
            "a job with no sign of progress for the stall timeout is interrupted, its server checked, and it is retried on another",
            arguments: TestEngine.available)
        func stall(engine: TestEngine) async throws {
            try await withComfyUIStandIns(count: 2) { standIns in
                try await withTestServer(
                    engine,
                    configure: {
                        generationSettings(&$0)
                        $0.generation.stallTimeout = 1
                    }
                ) { server in
                    let wedged = try await server.register(standIns[0])
                    let healthy = try await server.register(standIns[1])
                    // The socket opens and says nothing; the prompt never finishes.
                    standIns[0].setWebSocket(.silent)
                    standIns[0].setFault(.hang)
                    let checkedBefore = try #require(try await server.json("/api/servers/\(wedged)/status")["last_check"]?.stringValue)
                    let (project, clip) = try await server.promptedClip()
                    let id = try #require(
                        try await server.request(.post, "/api/clips/\(clip)/generate", body: #"{"server_id": "\#(wedged)"}"#).json?.jobIDs
                            .first)
                    let job = try await server.finishedJob(id)
                    #expect(job["status"] == "succeeded", "\(job)")
                    #expect(job["attempts"] == 2)
                    #expect(job["server_id"]?.stringValue == healthy)
                    #expect(standIns[0].interrupts == 1, "the stalled prompt was interrupted upstream")
                    #expect(standIns[1].promptsCompleted == 1)
                    let status = try await server.json("/api/servers/\(wedged)/status")
                    #expect((status["last_check"]?.stringValue ?? "") > checkedBefore, "the server it hung on was checked: \(status)")
                    #expect(status["consecutive_failures"] == 1)
                    let retrying = try await server.projectEvents(project).first { $0.event == "retrying" }
                    #expect(
                        retrying?.data?["error"]?.stringValue?.contains("no sign of progress for 1 s") == true,
                        "\(String(describing: retrying))")
                }
            }
        }

        @Test(
            "a server stopping while a job streams progress stops promptly and gives the job back to the queue",
            arguments: TestEngine.available)
        func shutdownWhileFollowing(engine: TestEngine) async throws {
            try await withComfyUIStandIns { standIns in
                try await withTestDatabase(engine) { database in
                    let (job, began) = try await withTestServer(database: database, configure: generationSettings) { server in
                        _ = try await server.register(standIns[0])
                        standIns[0].setDelay(60)
                        let (_, clip) = try await server.promptedClip()
                        let id = try #require(
                            try await server.request(.post, "/api/clips/\(clip)/generate", body: #"{"params": {"steps": 30}}"#).json?.jobIDs
                                .first)
                        _ = try await server.firstPreview(id)
                        return (id, ContinuousClock.now)
                    }
                    #expect(ContinuousClock.now - began < .seconds(10), "shutdown waited on the job's socket")
                    let jobID = try #require(UUID(uuidString: job))
                    let stored = try #require(try await database.database.jobs.find(id: jobID))
                    #expect(stored.status == .queued, "released, not left running")
                    #expect(try await database.database.jobPreviews.count() == 0)
                }
            }
        }

        @Test(
            "a batch's event stream carries each job's progress (value/max) and preview events between started and succeeded",
            arguments: TestEngine.available)
        func stream(engine: TestEngine) async throws {
            try await withComfyUIStandIns { standIns in
                try await withTestServer(engine, configure: generationSettings) { server in
                    _ = try await server.register(standIns[0], maxConcurrent: 2)
                    standIns[0].setDelay(1)
                    let made = try await server.makeProject(scenes: 1, clips: 2)
                    try await server.prompt(made.clips[0])
                    let batch = try #require(
                        try await server.request(.post, "/api/projects/\(made.project)/batches", body: #"{"params": {"steps": 12}}"#).json?[
                            "id"]?.stringValue
                    )
                    // A stream lasts 2 s here; the batch takes longer. Read back the whole log once it is done.
                    #expect(try await server.finishedBatch(batch)["status"] == "completed")
                    let events = GenerationSuites.JobEventTests.events(try await server.request(.get, "/api/batches/\(batch)/events").body)
                    #expect(events.map(\.id) == events.map(\.id).sorted())
                    let jobs = Set(events.compactMap { $0.data?["job_id"]?.stringValue })
                    #expect(jobs.count == 2)
                    for job in jobs {
                        let mine = events.filter { $0.data?["job_id"]?.stringValue == job }
                        let kinds = mine.map(\.event)
                        #expect(Array(kinds.prefix(2)) == ["queued", "started"], "\(kinds)")
                        #expect(kinds.last == "succeeded", "\(kinds)")
                        let progress = mine.filter { $0.event == "progress" }
                        #expect(!progress.isEmpty)
                        #expect(progress.allSatisfy { $0.data?["max"] == 12 && $0.data?["value"]?.doubleValue != nil })
                        #expect(progress.last?.data?["value"] == 12)
                        let previews = mine.filter { $0.event == "preview" }
                        #expect(!previews.isEmpty, "\(kinds)")
                        // At most a few a second: 12 frames came in about a second.
                        #expect(previews.count <= 6, "\(previews.count) previews")
                        #expect(
                            previews.allSatisfy {
                                $0.data?["url"]?.stringValue == "/api/jobs/\(job)/preview" && $0.data?["content_type"] == "image/png"
                            })
                        let sequences = previews.compactMap { $0.data?["sequence"]?.doubleValue }
                        #expect(sequences == sequences.sorted() && Set(sequences).count == sequences.count, "\(sequences)")
                        #expect(kinds.firstIndex(of: "preview").map { $0 > 1 } == true, "after started")
                    }
                    #expect(standIns[0].previewsSent == 24)
                }
            }
        }
    }
}

/// The frames of ComfyUI's `/ws` as real servers send them, old and new.
@Suite("ComfyUI websocket messages")
struct ComfyUIMessageTests {
    static func frame(_ words: [UInt32], _ tail: [UInt8]) -> ByteBuffer {
        var buffer = ByteBuffer()
        for word in words { buffer.writeInteger(word, endianness: .big) }
        buffer.writeBytes(tail)
        return buffer
    }

    @Test("preview frames: type 1 with a format word, type 4 with JSON metadata naming the prompt; the type comes from the bytes")
    func previews() throws {
        let jpeg = try MediaFixtures.data("still.jpg")
        // Format word 2 (PNG) on JPEG bytes: the bytes win.
        #expect(
            ComfyUIMessage.parse(binary: Self.frame([1, 2], Array(jpeg))) == .preview(contentType: "image/jpeg", bytes: jpeg, promptID: nil)
        )
        let png = PNGEncoder.solid(width: 2, height: 2, rgb: (1, 2, 3))
        let metadata = Array(#"{"node_id": "6", "prompt_id": "p-1", "image_type": "image/png"}"#.utf8)
        #expect(
            ComfyUIMessage.parse(binary: Self.frame([4, UInt32(metadata.count)], metadata + Array(png)))
                == .preview(contentType: "image/png", bytes: png, promptID: "p-1"))
        #expect(ComfyUIMessage.parse(binary: Self.frame([1, 1], Array("<svg onload=alert(1)>".utf8))) == nil, "not an image: dropped")
        #expect(ComfyUIMessage.parse(binary: Self.frame([4, 9999], [1, 2, 3])) == nil, "metadata longer than the frame")
        #expect(ComfyUIMessage.parse(binary: Self.frame([], [0, 1])) == nil, "too short for a type")
        #expect(ComfyUIMessage.parse(binary: Self.frame([3], Array("text".utf8))) == .other)
    }

    @Test("text messages: progress, done, errors; malformed ones are ignored")
    func texts() {
        #expect(
            ComfyUIMessage.parse(text: #"{"type": "progress", "data": {"value": 3, "max": 20, "prompt_id": "p", "node": "6"}}"#)
                == .progress(value: 3, max: 20, node: "6", promptID: "p"))
        #expect(ComfyUIMessage.parse(text: #"{"type": "progress", "data": {"value": 3, "max": 0}}"#) == .other, "no step count")
        #expect(
            ComfyUIMessage.parse(text: #"{"type": "executing", "data": {"node": null, "prompt_id": "p"}}"#)
                == .executing(node: nil, promptID: "p"))
        #expect(
            ComfyUIMessage.parse(
                text:
                    #"{"type": "execution_error", "data": {"prompt_id": "p", "node_type": "KSampler", "exception_message": "out of memory\n"}}"#
            )
                == .failed(message: "KSampler: out of memory", promptID: "p")
        )
        let executed = ComfyUIMessage.parse(
            text:
                #"{"type": "executed", "data": {"node": "9", "output": {"images": [{"filename": "a.png", "subfolder": "", "type": "output"}]}, "prompt_id": "p"}}"#
        )
        #expect(
            executed == .executed(node: "9", output: ["images": [["filename": "a.png", "subfolder": "", "type": "output"]]], promptID: "p"))
        #expect(ComfyUIMessage.parse(text: #"{"type": "crystools.monitor", "data": {}}"#) == .other)
        #expect(ComfyUIMessage.parse(text: "not json") == nil)
    }

    @Test("the socket URL: ws for http, wss for https, under the server's path prefix, with the client id")
    func socketURL() {
        let logger = Logger(label: "test")
        #expect(
            ComfyUISocket(base: "http://127.0.0.1:8188", clientID: "c-1", apiKey: nil, logger: logger)?.url
                == "ws://127.0.0.1:8188/ws?clientId=c-1")
        #expect(
            ComfyUISocket(base: "https://gpu.example/comfy/", clientID: "c 2", apiKey: nil, logger: logger)?.url
                == "wss://gpu.example/comfy/ws?clientId=c%202")
        #expect(ComfyUISocket(base: "ftp://gpu.example", clientID: "c", apiKey: nil, logger: logger) == nil)
    }
}
