import Foundation
import StoryboardAPI
import StoryboardCore
import StoryboardDatabase
import StoryboardServices
import StoryboardTestSupport
import Synchronization
import Testing

/// Animatic renders through the real server and the real ffmpeg: the MP4's length against
/// the song (ffprobe), what is on screen at given times (decoded frames), and the ways a
/// render stops (bad input, no ffmpeg, ffmpeg failing, cancel, project delete).
@Suite("Animatic renders", .serialized, .timeLimit(.minutes(3)))
struct RenderAPITests {
    @Test(
        "a still held, a short video looped, black between, the song as audio: duration within one frame of the song",
        .enabled(if: FFmpegTools.shouldRun), arguments: TestEngine.available
    )
    func animatic(engine: TestEngine) async throws {
        try await withTestServer(engine, configure: { $0.render.enabled = true }) { server in
            // Setup: a 3 s song; a red still at 0.5–1.5 s, nothing at 1.5–2 s, a 0.4 s blue video at 2–3 s.
            let project = try await server.createID("/api/projects", #"{"name": "Animatic"}"#)
            let music = try await server.upload(.put, "/api/projects/\(project)/music", data: try await FFmpegTools.tone(seconds: 3))
            #expect(music.status == 200, "\(music.body)")
            let scene = try await server.createID("/api/projects/\(project)/scenes", #"{"name": "Verse"}"#)
            let still = try await server.createID("/api/scenes/\(scene)/clips", #"{"name": "Red", "length": 1, "timeline_position": 0.5}"#)
            let moving = try await server.createID("/api/scenes/\(scene)/clips", #"{"name": "Blue", "length": 1, "timeline_position": 2}"#)
            let red = PNGEncoder.solid(width: 64, height: 36, rgb: (255, 0, 0))
            #expect(try await server.upload(.post, "/api/clips/\(still)/gallery", data: red).status == 201)
            let pooled = try await server.upload(
                .post, "/api/projects/\(project)/pool?name=Blue", data: try await FFmpegTools.solidVideo(color: "blue", seconds: 0.4))
            let poolID = try #require(pooled.json?["id"]?.stringValue, "\(pooled.body)")
            #expect(try await server.request(.post, "/api/pool/\(poolID)/apply", body: #"{"clip_id": "\#(moving)"}"#).status == 201)

            // The call: queue, then follow it to the end.
            let queued = try await server.request(
                .post, "/api/projects/\(project)/renders", body: #"{"width": 320, "height": 180, "fps": 10}"#)
            #expect(queued.status == 202, "\(queued.body)")
            let id = try #require(queued.json?["id"]?.stringValue)
            #expect(queued.header("Location") == "/api/renders/\(id)")
            let done = try await server.waitForRender(id)
            #expect(done["status"] == "succeeded", "\(done)")
            #expect(done["progress"] == 1)
            #expect(done["media_id"]?.stringValue == id)

            // Checks: the file, its length, what is on screen.
            let download = try await server.request(.get, try #require(done["download_url"]?.stringValue))
            #expect(download.status == 200)
            #expect(download.header("Content-Type") == "video/mp4")
            #expect(download.header("Content-Disposition")?.hasPrefix("attachment") == true)
            #expect(download.header("X-Content-Type-Options") == "nosniff")
            let mp4 = download.data
            let duration = try await FFmpegTools.duration(of: mp4)
            #expect(abs(duration - 3) <= 0.1 + 1e-6, "duration \(duration) s against a 3 s song at 10 fps")
            #expect(Set(try await FFmpegTools.streams(of: mp4)) == ["video", "audio"])
            let atStill = try await FFmpegTools.centreColour(of: mp4, at: 1.0)
            #expect(atStill.red > 200 && atStill.green < 60 && atStill.blue < 60, "the still at its midpoint: \(atStill)")
            let inGap = try await FFmpegTools.centreColour(of: mp4, at: 1.75)
            #expect(inGap.red < 40 && inGap.green < 40 && inGap.blue < 40, "black in the gap: \(inGap)")
            let looped = try await FFmpegTools.centreColour(of: mp4, at: 2.8)
            #expect(looped.blue > 200 && looped.red < 60, "the video, looped past its 0.4 s: \(looped)")
            let beforeFirst = try await FFmpegTools.centreColour(of: mp4, at: 0.2)
            #expect(beforeFirst.red < 40 && beforeFirst.blue < 40, "black before the first clip: \(beforeFirst)")

            // Progress went out on the project's event stream, in order.
            let kinds = try await server.database.jobEvents.after(0, projectID: UUID(parsing: project)).filter {
                $0.jobID.uuidString.lowercased() == id
            }.map(\.kind)
            #expect(kinds.first == .renderQueued)
            #expect(kinds.contains(.renderStarted))
            #expect(kinds.last == .renderSucceeded)
            #expect(try await server.json("/api/projects/\(project)/renders").ids == [id])

            // The media clean-up keeps a render's file.
            let store = MediaStore(root: server.configuration.mediaDirectory, maxUploadBytes: 1 << 30, logger: server.logs.logger)
            await MediaCatalog(store: store, database: server.database).collectGarbage(graceSeconds: 0)
            #expect(try await server.request(.get, "/api/media/\(id)").data == mp4)
        }
    }

    @Test("stills only and no song: as long as the clips, silent", .enabled(if: FFmpegTools.shouldRun), arguments: TestEngine.available)
    func stillsWithoutSong(engine: TestEngine) async throws {
        try await withTestServer(engine, configure: { $0.render.enabled = true }) { server in
            let made = try await server.makeProject(scenes: 1, clips: 2)
            let green = PNGEncoder.solid(width: 40, height: 40, rgb: (0, 255, 0))
            #expect(try await server.upload(.post, "/api/clips/\(made.clips[0][1])/gallery", data: green).status == 201)
            let queued = try await server.request(
                .post, "/api/projects/\(made.project)/renders", body: #"{"width": 128, "height": 72, "fps": 5}"#)
            let id = try #require(queued.json?["id"]?.stringValue, "\(queued.body)")
            let done = try await server.waitForRender(id)
            #expect(done["status"] == "succeeded", "\(done)")
            let mp4 = try await server.request(.get, try #require(done["media_url"]?.stringValue)).data
            #expect(abs(try await FFmpegTools.duration(of: mp4) - 4) <= 0.2 + 1e-6, "two 2 s clips")
            #expect(try await FFmpegTools.streams(of: mp4) == ["video"])
            let second = try await FFmpegTools.centreColour(of: mp4, at: 3)
            #expect(second.green > 200 && second.red < 60, "the second clip's still: \(second)")
        }
    }

    @Test("bad sizes and rates name the field, an unknown project is 404, nothing to render is 400", arguments: TestEngine.available)
    func badInputs(engine: TestEngine) async throws {
        // Any executable passes the "is ffmpeg installed" check; the renderer does not run.
        try await withTestServer(engine, configure: { $0.render.ffmpeg = "/bin/true" }) { server in
            let made = try await server.makeProject(scenes: 1, clips: 1)
            let path = "/api/projects/\(made.project)/renders"
            for (body, field) in [
                (#"{"width": 321}"#, "width"), (#"{"width": 4000}"#, "width"), (#"{"height": 62}"#, "height"), (#"{"fps": 0}"#, "fps"),
                (#"{"fps": 61}"#, "fps"), (#"{"fps": 2.5}"#, "fps"), (#"{"width": "wide"}"#, "width"), (#"{"format": "gif"}"#, "format"),
            ] {
                let reply = try await server.request(.post, path, body: body)
                #expect(reply.status == 400, "\(body): \(reply.body)")
                #expect(reply.errorCode == "VALIDATION_ERROR")
                #expect(reply.json?["error"]?["details"]?["fields"]?[field] != nil, "\(body) names \(field): \(reply.body)")
            }
            let unknown = try await server.request(.post, "/api/projects/\(UUID())/renders", body: "{}")
            #expect(unknown.status == 404)
            #expect(unknown.errorCode == "PROJECT_NOT_FOUND")
            #expect(try await server.request(.get, "/api/renders/\(UUID())").status == 404)
            #expect(try await server.request(.get, "/api/renders/not-a-uuid").status == 400)
            let empty = try await server.createID("/api/projects", #"{"name": "Empty"}"#)
            let nothing = try await server.request(.post, "/api/projects/\(empty)/renders", body: "{}")
            #expect(nothing.status == 400)
            #expect(nothing.json?["error"]?["message"]?.stringValue?.contains("no song and no clips") == true, "\(nothing.body)")
            #expect(try await server.json(path).ids.isEmpty, "nothing was queued")

            // Defaults, and a cancel of a queued render (twice: the second is 409).
            let queued = try await server.request(.post, path)
            #expect(queued.status == 202, "\(queued.body)")
            #expect(queued.json?["width"] == 1280)
            #expect(queued.json?["height"] == 720)
            let id = try #require(queued.json?["id"]?.stringValue)
            let cancelled = try await server.request(.post, "/api/renders/\(id)/cancel")
            #expect(cancelled.json?["status"] == "cancelled", "\(cancelled.body)")
            #expect(try await server.request(.post, "/api/renders/\(id)/cancel").status == 409)
        }
    }

    @Test("without ffmpeg the route answers 503 EXTERNAL_SERVICE_ERROR saying so", arguments: TestEngine.available)
    func ffmpegMissing(engine: TestEngine) async throws {
        try await withTestServer(engine, configure: { $0.render.ffmpeg = "/nonexistent/bin/ffmpeg" }) { server in
            let made = try await server.makeProject(scenes: 1, clips: 1)
            let reply = try await server.request(.post, "/api/projects/\(made.project)/renders", body: "{}")
            #expect(reply.status == 503)
            #expect(reply.errorCode == "EXTERNAL_SERVICE_ERROR")
            #expect(reply.json?["error"]?["message"]?.stringValue?.contains("ffmpeg") == true)
            #expect(try await server.json("/api/projects/\(made.project)/renders").ids.isEmpty)
        }
    }

    @Test("ffmpeg failing fails the render with its last lines, without the data directory's path", arguments: TestEngine.available)
    func ffmpegFails(engine: TestEngine) async throws {
        let scripts = ScriptBox()
        defer { scripts.remove() }
        try await withTestServer(
            engine,
            configure: { configuration in
                // Prints what ffmpeg prints for a bad input, naming it by its absolute path.
                let root = URL(fileURLWithPath: configuration.mediaDirectory).standardizedFileURL.path
                configuration.render.enabled = true
                configuration.render.ffmpeg = scripts.make(
                    #"echo "file:\#(root)/ab/cd.png: Invalid data found when processing input" >&2; exit 1"#)
            }
        ) { server in
            let made = try await server.makeProject(scenes: 1, clips: 1)
            let id = try #require(
                try await server.request(.post, "/api/projects/\(made.project)/renders", body: #"{"width": 64, "height": 64, "fps": 1}"#)
                    .json?["id"]?.stringValue)
            let done = try await server.waitForRender(id)
            #expect(done["status"] == "failed")
            let error = try #require(done["error"]?.stringValue)
            #expect(error.contains("Invalid data found"), "\(error)")
            #expect(error.contains("ab/cd.png"), "\(error)")
            #expect(!error.contains(URL(fileURLWithPath: server.configuration.mediaDirectory).standardizedFileURL.path), "\(error)")
        }
    }

    @Test(
        "deleting the project cancels its running render and stops ffmpeg, in the same transaction as the delete",
        arguments: TestEngine.available)
    func deleteCancels(engine: TestEngine) async throws {
        let pidFile = FileManager.default.temporaryDirectory.appendingPathComponent("sb-render-\(UUID()).pid").path
        // Stands in for a long ffmpeg: says where it is, then waits to be stopped.
        let script = try Self.script("echo $$ > \(pidFile); exec sleep 60")
        defer {
            try? FileManager.default.removeItem(atPath: script)
            try? FileManager.default.removeItem(atPath: pidFile)
        }
        try await withTestServer(
            engine,
            configure: {
                $0.render.enabled = true
                $0.render.ffmpeg = script
            }
        ) { server in
            let made = try await server.makeProject(scenes: 1, clips: 1)
            let id = try #require(
                try await server.request(.post, "/api/projects/\(made.project)/renders", body: #"{"width": 64, "height": 64, "fps": 1}"#)
                    .json?["id"]?.stringValue)
            let renderID = try #require(UUID(parsing: id))
            let pid = try await Self.pid(written: pidFile)
            #expect(try await server.json("/api/renders/\(id)")["status"] == "running")

            #expect(try await server.request(.delete, "/api/projects/\(made.project)").status == 204)
            let trashed = try #require(try await server.database.renders.find(id: renderID, includeDeleted: true))
            #expect(trashed.status == .cancelled)
            #expect(trashed.meta.isDeleted)
            #expect(try await server.request(.get, "/api/renders/\(id)").status == 404)
            #expect(try await Self.exited(pid), "the stand-in ffmpeg (pid \(pid)) was stopped")

            // Restoring brings the render back as it was: cancelled, not run again.
            #expect(try await server.request(.post, "/api/projects/\(made.project)/restore").status == 200)
            #expect(try await server.json("/api/renders/\(id)")["status"] == "cancelled")
        }
    }

    @Test(
        "claims never hand one render to two processes; a dead process's render goes back to the queue, then fails after three starts",
        arguments: TestEngine.available)
    func leases(engine: TestEngine) async throws {
        try await withTestServer(engine, configure: { $0.render.ffmpeg = "/bin/true" }) { server in
            let made = try await server.makeProject(scenes: 1, clips: 1)
            var queued: Set<UUID> = []
            for _ in 0..<4 {
                let id = try #require(
                    try await server.request(.post, "/api/projects/\(made.project)/renders", body: "{}").json?["id"]?.stringValue)
                queued.insert(try #require(UUID(parsing: id)))
            }
            let renders = server.database.renders
            async let first = renders.claim(owner: "a", leaseSeconds: 60)
            async let second = renders.claim(owner: "b", leaseSeconds: 60)
            async let third = renders.claim(owner: "c", leaseSeconds: 60)
            let claimed = [try await first, try await second, try await third].compactMap { $0?.meta.id }
            #expect(Set(claimed).count == 3, "three claims, three different renders")
            #expect(Set(claimed).isSubset(of: queued))

            // The last one: its process dies (its lease runs out) three times.
            let last = try #require(queued.subtracting(claimed).first)
            for attempt in 1...Render.maxAttempts {
                let held = try #require(try await renders.claim(owner: "dying-\(attempt)", leaseSeconds: 0.01))
                #expect(held.meta.id == last)
                #expect(held.attempts == attempt)
                try await Task.sleep(for: .milliseconds(30))
                #expect(try await renders.recoverExpiredLeases() == 1)
                let status = try await renders.get(id: last).status
                #expect(status == (attempt < Render.maxAttempts ? .queued : .failed))
            }
            #expect(try await renders.claim(owner: "d", leaseSeconds: 60) == nil)
        }
    }

    @Test(
        "shutting the server down stops ffmpeg and puts the render back in the queue, its attempt not counted",
        arguments: TestEngine.available)
    func shutdown(engine: TestEngine) async throws {
        let pidFile = FileManager.default.temporaryDirectory.appendingPathComponent("sb-render-\(UUID()).pid").path
        let script = try Self.script("echo $$ > \(pidFile); exec sleep 60")
        defer {
            try? FileManager.default.removeItem(atPath: script)
            try? FileManager.default.removeItem(atPath: pidFile)
        }
        try await withTestDatabase(engine) { test in
            let id = try await withTestServer(
                database: test,
                configure: {
                    $0.render.enabled = true
                    $0.render.ffmpeg = script
                }
            ) { server in
                let made = try await server.makeProject(scenes: 1, clips: 1)
                let id = try #require(
                    try await server.request(
                        .post, "/api/projects/\(made.project)/renders", body: #"{"width": 64, "height": 64, "fps": 1}"#
                    ).json?["id"]?.stringValue)
                _ = try await Self.pid(written: pidFile)
                return try #require(UUID(parsing: id))
            }
            let pid = try await Self.pid(written: pidFile)
            #expect(try await Self.exited(pid), "the stand-in ffmpeg (pid \(pid)) was stopped")
            let render = try await test.database.renders.get(id: id)
            #expect(render.status == .queued)
            #expect(render.attempts == 0)
            #expect(render.leaseOwner == nil)
        }
    }

    /// Scripts made inside a non-throwing configure closure, removed at the end.
    final class ScriptBox: Sendable {
        private let paths = Mutex<[String]>([])

        func make(_ body: String) -> String {
            let path = (try? RenderAPITests.script(body)) ?? "/nonexistent/script"
            paths.withLock { $0.append(path) }
            return path
        }

        func remove() {
            for path in paths.withLock({ $0 }) { try? FileManager.default.removeItem(atPath: path) }
        }
    }

    /// The pid a stand-in script wrote to `file` once it runs.
    static func pid(written file: String) async throws -> Int32 {
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if let text = try? String(contentsOfFile: file, encoding: .utf8),
                let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
            {
                return pid
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw UnexpectedReply(description: "the stand-in ffmpeg never started")
    }

    /// Whether `pid` is gone within a few seconds.
    static func exited(_ pid: Int32) async throws -> Bool {
        let deadline = Date().addingTimeInterval(5)
        while kill(pid, 0) == 0, Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        return kill(pid, 0) != 0
    }

    /// An executable shell script standing in for ffmpeg.
    static func script(_ body: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sb-fake-ffmpeg-\(UUID().uuidString).sh").path
        try "#!/bin/sh\n\(body)\n".write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        return path
    }
}

extension APIClient {
    /// Polls a render until it has finished; its JSON.
    func waitForRender(_ id: String, timeout: Double = 60) async throws -> JSONValue {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let render = try await json("/api/renders/\(id)")
            if let status = render["status"]?.stringValue, JobStatus(rawValue: status)?.isFinished == true { return render }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw UnexpectedReply(description: "render \(id) did not finish: \(try await json("/api/renders/\(id)"))")
    }
}
