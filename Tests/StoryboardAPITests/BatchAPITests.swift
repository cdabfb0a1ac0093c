import Foundation
import StoryboardAPI
import StoryboardCore
import StoryboardTestSupport
import Testing

extension APIClient {
    /// Polls the batch until it is finished; its JSON.
    func finishedBatch(_ id: String, timeout: Double = 90) async throws -> JSONValue {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let batch = try await json("/api/batches/\(id)")
            if let status = batch["status"]?.stringValue, BatchStatus(rawValue: status)?.isFinished == true { return batch }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw UnexpectedReply(description: "batch \(id) did not finish: \(try await json("/api/batches/\(id)"))")
    }

    /// Gives each clip an image prompt.
    func prompt(_ clips: [String]) async throws {
        for clip in clips {
            let reply = try await request(.put, "/api/clips/\(clip)/prompts", body: #"{"image_prompt": "shot \#(clip.prefix(8))"}"#)
            guard reply.status == 200 else { throw UnexpectedReply(description: reply.body) }
        }
    }
}

extension GenerationSuites {
    @Suite("Generation batches", .timeLimit(.minutes(3)))
    struct BatchAPITests {
        @Test(
            "a project batch: one job per prompted clip, counts right with two servers, completed; failures retried as a batch",
            arguments: TestEngine.available)
        func lifecycle(engine: TestEngine) async throws {
            try await withComfyUIStandIns(count: 2) { standIns in
                try await withTestServer(
                    engine,
                    configure: {
                        generationSettings(&$0)
                        $0.generation.failureThreshold = 100
                    }
                ) { server in
                    for standIn in standIns { _ = try await server.register(standIn, maxConcurrent: 2) }
                    let made = try await server.makeProject(scenes: 2, clips: 4)
                    let clips = made.clips.flatMap { $0 }
                    try await server.prompt(Array(clips.dropLast()))
                    let reply = try await server.request(.post, "/api/projects/\(made.project)/batches", body: #"{"params": {"steps": 4}}"#)
                    #expect(reply.status == 202, "\(reply.body)")
                    let batch = try #require(reply.json?["id"]?.stringValue)
                    #expect(reply.json?["total"] == 7)
                    #expect(
                        reply.json?["skipped_clip_ids"] == [.string(clips.last ?? "")], "the clip without a prompt is listed, not queued")
                    #expect(reply.header("Location") == "/api/batches/\(batch)")
                    let done = try await server.finishedBatch(batch)
                    #expect(done["status"] == "completed", "\(done)")
                    #expect(done["completed"] == 7)
                    #expect(done["failed"] == 0)
                    #expect(done["eta_seconds"] == 0)
                    #expect(
                        done["results"]?.arrayValue?.allSatisfy { $0["status"] == "succeeded" && $0["media_ids"]?.arrayValue?.count == 1 }
                            == true)
                    #expect(standIns[0].promptsReceived > 0 && standIns[1].promptsReceived > 0, "work spread over both servers")
                    #expect(
                        try await server.json("/api/projects/\(made.project)/batches?status=completed")["items"]?.arrayValue?.count == 1)
                    #expect(try await server.json("/api/jobs?batch_id=\(batch)")["items"]?.arrayValue?.count == 7)
                    try await Self.expectRecountAgrees(done, in: server)
                    // A clip purged for good takes its job out of the batch's counts.
                    #expect(try await server.request(.delete, "/api/clips/\(clips[2])").status == 204)
                    #expect(try await server.request(.delete, "/api/trash/clip/\(clips[2])").status == 204)
                    let purged = try await server.json("/api/batches/\(batch)")
                    #expect(purged["total"] == 6, "\(purged)")
                    #expect(purged["completed"] == 6)
                    try await Self.expectRecountAgrees(purged, in: server)

                    // Everything fails: completed_with_errors; retry-failed runs the failed ones again.
                    standIns[0].setFault(.refuseWorkflow)
                    standIns[1].setFault(.refuseWorkflow)
                    let second = try #require(
                        try await server.request(
                            .post, "/api/projects/\(made.project)/batches", body: #"{"clip_ids": ["\#(clips[0])", "\#(clips[1])"]}"#
                        ).json?["id"]?.stringValue)
                    let failed = try await server.finishedBatch(second)
                    #expect(failed["status"] == "completed_with_errors")
                    #expect(failed["failed"] == 2)
                    standIns[0].setFault(.none)
                    standIns[1].setFault(.none)
                    let again = try await server.request(.post, "/api/batches/\(second)/retry-failed")
                    #expect(again.status == 202)
                    let recovered = try await server.finishedBatch(second)
                    #expect(recovered["status"] == "completed", "\(recovered)")
                    #expect(recovered["completed"] == 2)
                    #expect(recovered["failed"] == 0, "only the latest job of each clip counts")
                    try await Self.expectRecountAgrees(recovered, in: server)
                    #expect(try await server.request(.post, "/api/batches/\(second)/retry-failed").status == 409)
                }
            }
        }

        /// Counts kept one finish at a time are the ones a recount from the jobs finds.
        static func expectRecountAgrees(_ report: JSONValue, in server: TestServer) async throws {
            let id = try #require(report["id"]?.stringValue.flatMap(UUID.init(uuidString:)))
            let recounted = try #require(try await server.database.batches.refresh(id))
            #expect(report["total"] == .number(Double(recounted.total)), "\(report)")
            #expect(report["completed"] == .number(Double(recounted.completed)), "\(report)")
            #expect(report["failed"] == .number(Double(recounted.failed)))
            #expect(report["cancelled"] == .number(Double(recounted.cancelled)))
            #expect(report["status"]?.stringValue == recounted.status.rawValue)
        }

        @Test("cancel a running batch: its unfinished jobs are cancelled at once, the batch is cancelled", arguments: TestEngine.available)
        func cancel(engine: TestEngine) async throws {
            try await withComfyUIStandIns { standIns in
                try await withTestServer(engine, configure: generationSettings) { server in
                    _ = try await server.register(standIns[0])
                    standIns[0].setFault(.hang)
                    let made = try await server.makeProject(scenes: 1, clips: 3)
                    try await server.prompt(made.clips[0])
                    let batch = try #require(
                        try await server.request(.post, "/api/projects/\(made.project)/batches", body: "{}").json?["id"]?.stringValue)
                    let deadline = Date().addingTimeInterval(30)
                    // Running, and its first prompt is on the server.
                    while (try await server.json("/api/batches/\(batch)")["status"] != "running" || standIns[0].promptsReceived == 0)
                        && Date() < deadline
                    {
                        try await Task.sleep(for: .milliseconds(50))
                    }
                    #expect(try await server.json("/api/projects/\(made.project)/batches?status=running")["items"]?.arrayValue?.count == 1)
                    let cancelled = try await server.request(.post, "/api/batches/\(batch)/cancel")
                    #expect(cancelled.status == 200)
                    #expect(cancelled.json?["status"] == "cancelled")
                    #expect(cancelled.json?["cancelled"] == 3)
                    #expect(cancelled.json?["results"]?.arrayValue?.allSatisfy { $0["status"] == "cancelled" } == true)
                    #expect(try await server.request(.post, "/api/batches/\(batch)/cancel").status == 409)
                    let interruptsBy = Date().addingTimeInterval(30)
                    while standIns[0].interrupts + standIns[0].removedFromQueue == 0 && Date() < interruptsBy {
                        try await Task.sleep(for: .milliseconds(50))
                    }
                    #expect(
                        standIns[0].interrupts + standIns[0].removedFromQueue == 1,
                        "interrupted, or taken off the server's queue if it had not started")
                }
            }
        }

        @Test(
            "bad batch requests: clips of another project, an empty list, nothing to generate, unknown fields",
            arguments: TestEngine.available)
        func validation(engine: TestEngine) async throws {
            try await withTestServer(engine) { server in
                let made = try await server.makeProject(scenes: 1, clips: 2)
                let other = try await server.makeProject(name: "Other", scenes: 1, clips: 1)
                let foreign = try await server.request(
                    .post, "/api/projects/\(made.project)/batches", body: #"{"clip_ids": ["\#(other.clips[0][0])"]}"#)
                #expect(foreign.status == 400)
                #expect(foreign.json?["error"]?["details"]?["missing_ids"] == [.string(other.clips[0][0])])
                #expect(try await server.request(.post, "/api/projects/\(made.project)/batches", body: #"{"clip_ids": []}"#).status == 400)
                let twice = try await server.request(
                    .post, "/api/projects/\(made.project)/batches", body: #"{"clip_ids": ["\#(made.clips[0][0])", "\#(made.clips[0][0])"]}"#
                )
                #expect(twice.json?["error"]?["details"]?["duplicate_ids"] == [.string(made.clips[0][0])])
                let nothing = try await server.request(.post, "/api/projects/\(made.project)/batches", body: "{}")
                #expect(nothing.status == 400, "no clip has a prompt")
                #expect(
                    try await server.request(.post, "/api/projects/\(made.project)/batches", body: #"{"clips": []}"#).json?["error"]?[
                        "details"]?["fields"]?["clips"] != nil)
                #expect(
                    try await server.request(.post, "/api/projects/\(made.project)/batches", body: #"{"params": {"steps": 999}}"#).status
                        == 400)
                #expect(
                    try await server.request(.post, "/api/projects/\(UUID().uuidString)/batches", body: "{}").errorCode
                        == "PROJECT_NOT_FOUND")
                #expect(try await server.request(.get, "/api/batches/\(UUID().uuidString)").errorCode == "BATCH_NOT_FOUND")
                #expect(try await server.request(.get, "/api/projects/\(made.project)/batches?status=done").status == 400)
                #expect(
                    try await server.json("/api/projects/\(made.project)/batches")["items"]?.arrayValue?.isEmpty == true,
                    "nothing half-written")
            }
        }
    }
}

extension GenerationSuites {
    @Suite("Job events (SSE)", .timeLimit(.minutes(3)))
    struct JobEventTests {
        /// `id`, `event` and `data` of each event in a text/event-stream body.
        static func events(_ body: String) -> [(id: Int, event: String, data: JSONValue?)] {
            body.components(separatedBy: "\n\n").compactMap { block in
                var id: Int?
                var event = "message"
                var data: JSONValue?
                for line in block.split(separator: "\n") {
                    if line.hasPrefix("id: ") { id = Int(line.dropFirst(4)) }
                    if line.hasPrefix("event: ") { event = String(line.dropFirst(7)) }
                    if line.hasPrefix("data: ") { data = try? JSONDecoder().decode(JSONValue.self, from: Data(line.dropFirst(6).utf8)) }
                }
                return id.map { ($0, event, data) }
            }
        }

        @Test(
            "a batch's stream: queued, started, succeeded with media ids, in order; Last-Event-ID resumes without losing any",
            arguments: TestEngine.available)
        func batchStream(engine: TestEngine) async throws {
            try await withComfyUIStandIns { standIns in
                try await withTestServer(engine, configure: generationSettings) { server in
                    _ = try await server.register(standIns[0], maxConcurrent: 2)
                    let made = try await server.makeProject(scenes: 1, clips: 3)
                    try await server.prompt(made.clips[0])
                    let batch = try #require(
                        try await server.request(.post, "/api/projects/\(made.project)/batches", body: "{}").json?["id"]?.stringValue)
                    // The stream ends once the batch has finished and everything was sent.
                    let reply = try await server.request(.get, "/api/batches/\(batch)/events")
                    #expect(reply.status == 200)
                    #expect(reply.header("Content-Type")?.hasPrefix("text/event-stream") == true)
                    let events = Self.events(reply.body)
                    #expect(events.map(\.id) == events.map(\.id).sorted(), "ids increase")
                    #expect(events.filter { $0.event == "queued" }.count == 3)
                    #expect(events.filter { $0.event == "started" }.count == 3)
                    let succeeded = events.filter { $0.event == "succeeded" }
                    #expect(succeeded.count == 3)
                    #expect(succeeded.allSatisfy { $0.data?["media_ids"]?.arrayValue?.count == 1 && $0.data?["clip_id"] != nil })
                    for job in Set(events.compactMap { $0.data?["job_id"]?.stringValue }) {
                        // Progress and previews come between (their own suite looks at them).
                        let kinds = events.filter { $0.data?["job_id"]?.stringValue == job }.map(\.event).filter {
                            $0 != "progress" && $0 != "preview"
                        }
                        #expect(kinds == ["queued", "started", "succeeded"], "\(job): \(kinds)")
                    }
                    // Resume after the third event: exactly the rest, nothing twice.
                    let resumed = Self.events(
                        try await server.request(.get, "/api/batches/\(batch)/events", headers: ["Last-Event-ID": "\(events[2].id)"]).body)
                    #expect(resumed.map(\.id) == Array(events.dropFirst(3)).map(\.id))
                    let byQuery = Self.events(
                        try await server.request(.get, "/api/batches/\(batch)/events?last_event_id=\(events[4].id)").body)
                    #expect(byQuery.map(\.id) == Array(events.dropFirst(5)).map(\.id))
                    #expect(
                        try await server.request(.get, "/api/batches/\(batch)/events", headers: ["Last-Event-ID": "soon"]).status == 400)
                    #expect(try await server.request(.get, "/api/batches/\(UUID().uuidString)/events").errorCode == "BATCH_NOT_FOUND")
                    #expect(try await server.request(.get, "/api/events").status == 400)
                    #expect(try await server.request(.get, "/api/events?project_id=\(UUID().uuidString)").errorCode == "PROJECT_NOT_FOUND")
                }
            }
        }

        @Test("a project's stream shows failures and cancels as they happen (and survives a reconnect)", arguments: TestEngine.available)
        func projectStream(engine: TestEngine) async throws {
            try await withComfyUIStandIns { standIns in
                try await withTestServer(engine, configure: generationSettings) { server in
                    _ = try await server.register(standIns[0])
                    standIns[0].setFault(.refuseWorkflow)
                    let (project, clip) = try await server.promptedClip()
                    let failed = try #require(try await server.request(.post, "/api/clips/\(clip)/generate", body: "{}").json?.jobIDs.first)
                    _ = try await server.finishedJob(failed)
                    standIns[0].setFault(.hang)
                    let hung = try #require(try await server.request(.post, "/api/clips/\(clip)/generate", body: "{}").json?.jobIDs.first)
                    try await server.waitForStatus(hung, "running")
                    _ = try await server.request(.post, "/api/jobs/\(hung)/cancel")
                    // A project stream ends after STORYBOARD_EVENT_STREAM_DURATION (2 s here); a client reconnects.
                    let events = Self.events(try await server.request(.get, "/api/events?project_id=\(project)").body)
                    let kinds = events.map(\.event)
                    #expect(kinds.contains("failed"))
                    #expect(kinds.contains("cancelled"))
                    let failure = events.first { $0.event == "failed" }
                    #expect(failure?.data?["error"]?.stringValue?.contains("Value not in list") == true)
                    let last = try #require(events.last?.id)
                    standIns[0].setFault(.none)
                    let next = try #require(try await server.request(.post, "/api/clips/\(clip)/generate", body: "{}").json?.jobIDs.first)
                    _ = try await server.finishedJob(next)
                    let later = Self.events(
                        try await server.request(.get, "/api/events?project_id=\(project)", headers: ["Last-Event-ID": "\(last)"]).body)
                    #expect(later.first.map { $0.id > last } == true)
                    #expect(later.map(\.event).filter { $0 != "progress" && $0 != "preview" } == ["queued", "started", "succeeded"])
                }
            }
        }
    }
}
