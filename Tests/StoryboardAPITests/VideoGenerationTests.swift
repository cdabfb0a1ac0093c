import Foundation
import StoryboardAPI
import StoryboardCore
import StoryboardTestSupport
import Testing

extension GenerationSuites {
    @Suite("Generation: image-to-video", .timeLimit(.minutes(3)))
    struct VideoGenerationTests {
        @Test(
            "video starts from the clip's selected image: uploaded to ComfyUI, run through the SVD graph, kept as the clip's video",
            arguments: TestEngine.available)
        func comfyUI(engine: TestEngine) async throws {
            try await withComfyUIStandIns { standIns in
                try await withTestServer(engine, configure: generationSettings) { server in
                    _ = try await server.register(standIns[0])
                    let (project, clip) = try await server.promptedClip("waves on a pier")
                    let refused = try await server.request(.post, "/api/clips/\(clip)/generate", body: #"{"generation_type": "video"}"#)
                    #expect(refused.status == 400)
                    #expect(refused.json?["error"]?["details"]?["fields"]?["selected_image_id"] != nil, "\(refused.body)")

                    let still = try #require(
                        try await server.request(.post, "/api/clips/\(clip)/generate", body: #"{"model": "sdxl_base_1.0.safetensors"}"#)
                            .json?.jobIDs.first)
                    #expect(try await server.finishedJob(still)["status"] == "succeeded")
                    let gallery = try await server.json("/api/clips/\(clip)/gallery")
                    let selected = try #require(gallery["generated_images"]?.arrayValue?.first { $0["id"] == gallery["selected_image_id"] })
                    let stillBytes = try await server.request(.get, try #require(selected["url"]?.stringValue)).data

                    let reply = try await server.request(
                        .post, "/api/clips/\(clip)/generate",
                        body:
                            #"{"generation_type": "video", "model": "svd_xt_1_1.safetensors", "params": {"frames": 14, "fps": 6, "motion_bucket": 90}}"#
                    )
                    #expect(reply.status == 202, "\(reply.body)")
                    let queued = try #require(reply.json?["jobs"]?.arrayValue?.first)
                    #expect(queued["generation_type"] == "video")
                    #expect(queued["params"]?["width"] == 1024)
                    #expect(queued["params"]?["height"] == 576)
                    #expect(queued["params"]?["frames"] == 14)
                    let job = try await server.finishedJob(try #require(queued["id"]?.stringValue))
                    #expect(job["status"] == "succeeded", "\(job)")

                    let uploads = standIns[0].uploadedImages
                    #expect(uploads.count == 1)
                    #expect(uploads.values.first == stillBytes, "the selected still is the first frame")
                    #expect(uploads.keys.first?.hasPrefix("storyboard-") == true)
                    let after = try await server.json("/api/clips/\(clip)/gallery")
                    let videos = try #require(after["generated_videos"]?.arrayValue)
                    #expect(videos.count == 1)
                    #expect(videos.first?["job_id"] == queued["id"])
                    #expect(after["selected_video_id"] == videos.first?["id"])
                    #expect(after["selected_image_id"] == gallery["selected_image_id"], "the image selection stays")

                    // A default video batch skips clips with no selected image, and says so.
                    let scene = try #require(
                        try await server.json("/api/projects/\(project)?include=scenes")["scenes"]?.arrayValue?.first?["id"]?.stringValue)
                    let bare = try await server.createID(
                        "/api/scenes/\(scene)/clips", #"{"name": "Bare", "length": 2, "timeline_position": 10, "image_prompt": "fog"}"#)
                    let batch = try await server.request(
                        .post, "/api/projects/\(project)/batches", body: #"{"generation_type": "video", "model": "svd_xt_1_1.safetensors"}"#
                    )
                    #expect(batch.status == 202, "\(batch.body)")
                    #expect(batch.json?["total"] == 1)
                    #expect(batch.json?["skipped_clip_ids"] == [.string(bare)])
                    let finished = try await server.finishedBatch(try #require(batch.json?["id"]?.stringValue))
                    #expect(finished["status"] == "completed", "\(finished)")
                }
            }
        }

        @Test("video on RunPod: the first frame travels as input.images and LoadImage names it", arguments: TestEngine.available)
        func runPod(engine: TestEngine) async throws {
            try await withRunPodStandIn { runpod in
                try await withTestServer(engine, configure: generationSettings) { server in
                    _ = try await server.register(runpod)
                    let (_, clip) = try await server.promptedClip()
                    let png = try MediaFixtures.data("still.png")
                    #expect(try await server.upload(.post, "/api/clips/\(clip)/gallery", data: png).status == 201)
                    let reply = try await server.request(
                        .post, "/api/clips/\(clip)/generate", body: #"{"generation_type": "video", "model": "svd_xt_1_1.safetensors"}"#)
                    let job = try await server.finishedJob(try #require(reply.json?.jobIDs.first))
                    #expect(job["status"] == "succeeded", "\(job)")
                    let graph = try #require(runpod.workflows.last?.objectValue)
                    #expect(graph.values.contains { $0["class_type"] == "SVD_img2vid_Conditioning" })
                    let loaded = graph.values.first { $0["class_type"] == "LoadImage" }?["inputs"]?["image"]?.stringValue
                    #expect(loaded?.hasSuffix(".png") == true)
                    let gallery = try await server.json("/api/clips/\(clip)/gallery")
                    #expect(gallery["generated_videos"]?.arrayValue?.count == 1)
                    #expect(gallery["selected_video_id"] != .null)
                }
            }
        }
    }
}
