import Foundation
import StoryboardAPI
import StoryboardCore
import StoryboardTestSupport
import Testing

extension APIClient {
    /// Registers the stand-in as a RunPod endpoint and checks it; its id.
    func register(_ runpod: RunPodStandIn, key: String? = nil) async throws -> String {
        let id = try await createID(
            "/api/servers",
            #"{"name": "RunPod", "url": "\#(runpod.url)", "server_type": "runpod", "endpoint_id": "\#(runpod.endpointID)", "api_key": "\#(key ?? runpod.apiKey)", "max_concurrent": 2}"#
        )
        _ = try await request(.post, "/api/servers/\(id)/check")
        return id
    }
}

extension GenerationSuites {
    @Suite("Generation: RunPod serverless endpoints", .timeLimit(.minutes(3)))
    struct RunPodAPITests {
        @Test(
            "a job runs on RunPod: /run, /status polling, base64 outputs decoded into the gallery; the key never shows",
            arguments: TestEngine.available)
        func run(engine: TestEngine) async throws {
            try await withRunPodStandIn(delay: 0.1) { runpod in
                try await withTestServer(engine, configure: generationSettings) { server in
                    let id = try await server.register(runpod)
                    let status = try await server.json("/api/servers/\(id)/status")
                    #expect(status["online"] == true, "\(status)")
                    #expect(status["devices"]?["ready"] == 1)
                    let (_, clip) = try await server.promptedClip("a lighthouse in fog")
                    let reply = try await server.request(
                        .post, "/api/clips/\(clip)/generate", body: #"{"model": "sdxl_base_1.0.safetensors", "count": 2}"#)
                    #expect(reply.status == 202, "\(reply.body)")
                    for job in try #require(reply.json?.jobIDs) {
                        let done = try await server.finishedJob(job)
                        #expect(done["status"] == "succeeded", "\(done)")
                        #expect(done["server_id"]?.stringValue == id)
                    }
                    #expect(runpod.runs == 2)
                    let sent = try #require(runpod.workflows.first)
                    let texts = (sent.objectValue ?? [:]).values.filter { $0["class_type"] == "CLIPTextEncode" }.compactMap {
                        $0["inputs"]?["text"]?.stringValue
                    }
                    #expect(texts.contains("a lighthouse in fog"))
                    let gallery = try await server.json("/api/clips/\(clip)/gallery")
                    let images = try #require(gallery["generated_images"]?.arrayValue)
                    #expect(images.count == 2)
                    let file = try await server.request(.get, try #require(images.first?["url"]?.stringValue))
                    #expect(file.header("Content-Type") == "image/png")
                    #expect(file.data.starts(with: [0x89, 0x50, 0x4E, 0x47]))
                    // The key went to RunPod and nowhere else.
                    #expect(runpod.unauthorizedCalls == 0)
                    for path in [
                        "/api/servers/\(id)", "/api/servers", "/api/servers/\(id)/status", "/api/jobs?clip_id=\(clip)", "/openapi.json",
                        "/metrics",
                    ] {
                        #expect(try await !server.request(.get, path).body.contains(runpod.apiKey), "\(path)")
                    }
                }
            }
        }

        @Test(
            "RunPod failures: a wrong key is offline, FAILED and output errors fail with RunPod's words, cancel reaches /cancel",
            arguments: TestEngine.available)
        func failures(engine: TestEngine) async throws {
            try await withRunPodStandIn { runpod in
                try await withTestServer(
                    engine,
                    configure: {
                        generationSettings(&$0)
                        // Each failure here is the job's, not the endpoint's: keep it in rotation for the retries.
                        $0.generation.failureThreshold = 100
                    }
                ) { server in
                    let wrong = try await server.register(runpod, key: "rp_wrong_key_0000000000")
                    let offline = try await server.json("/api/servers/\(wrong)/status")
                    #expect(offline["online"] == false)
                    #expect(offline["last_error"]?.stringValue?.contains("401") == true, "\(offline)")
                    #expect(try await server.request(.delete, "/api/servers/\(wrong)").status == 204)

                    _ = try await server.register(runpod)
                    let (_, clip) = try await server.promptedClip()
                    runpod.setFault(.failJobs)
                    let failing = try #require(
                        try await server.request(.post, "/api/clips/\(clip)/generate", body: #"{"model": "sdxl_base_1.0.safetensors"}"#)
                            .json?.jobIDs.first)
                    let failed = try await server.finishedJob(failing)
                    #expect(failed["status"] == "failed")
                    #expect(failed["error"]?.stringValue?.contains("Workflow validation failed") == true, "\(failed)")
                    #expect(failed["attempts"] == 4, "retried up to max_retries")

                    runpod.setFault(.outputErrors)
                    let broken = try #require(
                        try await server.request(.post, "/api/clips/\(clip)/generate", body: #"{"model": "sdxl_base_1.0.safetensors"}"#)
                            .json?.jobIDs.first)
                    #expect(try await server.finishedJob(broken)["error"]?.stringValue?.contains("CUDA out of memory") == true)

                    runpod.setFault(.hang)
                    let before = runpod.runs
                    let hanging = try #require(
                        try await server.request(.post, "/api/clips/\(clip)/generate", body: #"{"model": "sdxl_base_1.0.safetensors"}"#)
                            .json?.jobIDs.first)
                    let sentDeadline = Date().addingTimeInterval(10)
                    while runpod.runs == before, Date() < sentDeadline { try await Task.sleep(for: .milliseconds(20)) }
                    #expect(runpod.runs == before + 1)
                    #expect(try await server.request(.post, "/api/jobs/\(hanging)/cancel").status == 200)
                    let cancelDeadline = Date().addingTimeInterval(10)
                    while runpod.cancels == 0, Date() < cancelDeadline { try await Task.sleep(for: .milliseconds(50)) }
                    #expect(runpod.cancels >= 1, "the dispatcher cancels the run upstream")
                    #expect(try await server.json("/api/jobs/\(hanging)")["status"] == "cancelled")
                    runpod.setFault(.none)
                }
            }
        }
    }
}
