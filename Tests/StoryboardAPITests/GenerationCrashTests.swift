import Foundation
import StoryboardCore
import StoryboardDatabase
import StoryboardTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `storyboard serve` killed with SIGKILL in the middle of generating: started again, it
/// finishes every job, loses none and attaches nothing twice.
extension GenerationSuites {
    @Suite("Generation survives kill -9", .timeLimit(.minutes(3)))
    struct GenerationCrashTests {
        @Test(
            "kill -9 mid-batch, start again: every job ends succeeded or failed, none lost, no gallery item twice",
            arguments: TestEngine.available)
        func killNine(engine: TestEngine) async throws {
            var options = ComfyUIStandIn.Options()
            options.delay = 1.0
            try await withComfyUIStandIns(count: 2, options: options) { standIns in
                try await withTestDatabase(engine) { test in
                    let data = FileManager.default.temporaryDirectory.appendingPathComponent("storyboard-crash-\(UUID().uuidString)").path
                    try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
                    let environment = CommandLineTests().environment([
                        "STORYBOARD_DATA_DIR": data, "DATABASE_URL": test.configuration.database.url, "LOG_LEVEL": "info",
                        "STORYBOARD_JOB_LEASE": "2s", "STORYBOARD_JOB_POLL_INTERVAL": "20ms", "STORYBOARD_JOB_RETRY_DELAY": "50ms",
                        "STORYBOARD_SERVER_CHECK_INTERVAL": "1s",
                    ])
                    let log = "\(data)/serve.log"
                    var (pid, client) = try await startServe(binary: CommandLineTests.binary, environment: environment, log: log)
                    let made = try await client.makeProject(scenes: 2, clips: 6)
                    let clips = made.clips.flatMap { $0 }
                    for clip in clips {
                        let reply = try await client.request(
                            .put, "/api/clips/\(clip)/prompts", body: #"{"image_prompt": "shot \#(clip)"}"#)
                        #expect(reply.status == 200)
                    }
                    for standIn in standIns { _ = try await client.register(standIn, maxConcurrent: 2) }
                    var jobs: [String] = []
                    for clip in clips {
                        jobs += try #require(try await client.request(.post, "/api/clips/\(clip)/generate", body: "{}").json?.jobIDs)
                    }
                    // Some done, some running: then the process dies without a chance to clean up.
                    let deadline = Date().addingTimeInterval(30)
                    while Date() < deadline {
                        let done =
                            try await client.json("/api/jobs?status=succeeded&project_id=\(made.project)")["items"]?.arrayValue?.count ?? 0
                        let running =
                            try await client.json("/api/jobs?status=running&project_id=\(made.project)")["items"]?.arrayValue?.count ?? 0
                        if done >= 2 && running >= 2 { break }
                        try await Task.sleep(for: .milliseconds(50))
                    }
                    kill(pid, SIGKILL)
                    _ = await ProcessRunner.wait(for: pid)
                    let leftRunning = try await test.database.jobs.count(.equals("status", .text("running")))
                    #expect(leftRunning >= 1, "killed while jobs ran")

                    (pid, client) = try await startServe(binary: CommandLineTests.binary, environment: environment, log: log)
                    var statuses: [String: String] = [:]
                    let finishBy = Date().addingTimeInterval(60)
                    while Date() < finishBy {
                        for job in jobs { statuses[job] = try await client.json("/api/jobs/\(job)")["status"]?.stringValue }
                        if statuses.values.allSatisfy({ $0 == "succeeded" || $0 == "failed" }) { break }
                        try await Task.sleep(for: .milliseconds(100))
                    }
                    #expect(statuses.count == clips.count, "no job lost")
                    #expect(statuses.values.allSatisfy { $0 == "succeeded" }, "\(statuses)")
                    var items = 0
                    for clip in clips {
                        let images = try await client.json("/api/clips/\(clip)/gallery")["generated_images"]?.arrayValue ?? []
                        #expect(images.count == 1, "clip \(clip) has \(images.count) images")
                        items += images.count
                    }
                    #expect(items == clips.count)
                    kill(pid, SIGTERM)
                    #expect(await ProcessRunner.wait(for: pid) == 0)
                    let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                    if leftRunning > 0 {
                        #expect(text.contains("went back to the queue"), "the restarted process recovered the dead one's jobs")
                    }
                    try? FileManager.default.removeItem(atPath: data)
                }
            }
        }
    }
}
