import Foundation
import StoryboardAPI
import StoryboardCore
import StoryboardTestSupport
import Testing

/// A user's own text-to-image graph, with node ids of its own.
let customGraph = #"""
    {"10": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "sdxl_base_1.0.safetensors"}},
     "11": {"class_type": "CLIPTextEncode", "inputs": {"text": "", "clip": ["10", 1]}},
     "12": {"class_type": "CLIPTextEncode", "inputs": {"text": "", "clip": ["10", 1]}},
     "13": {"class_type": "EmptyLatentImage", "inputs": {"width": 512, "height": 512, "batch_size": 1}},
     "14": {"class_type": "KSampler", "inputs": {"seed": 0, "steps": 5, "cfg": 5, "sampler_name": "euler", "scheduler": "normal", "denoise": 1,
            "model": ["10", 0], "positive": ["11", 0], "negative": ["12", 0], "latent_image": ["13", 0]}},
     "15": {"class_type": "VAEDecode", "inputs": {"samples": ["14", 0], "vae": ["10", 2]}},
     "16": {"class_type": "SaveImage", "inputs": {"images": ["15", 0], "filename_prefix": "mine"}}}
    """#

let customMapping = #"""
    {"prompt": {"node": "11", "input": "text"}, "negative_prompt": {"node": "12", "input": "text"}, "seed": {"node": "14", "input": "seed"},
     "width": [{"node": "13", "input": "width"}], "height": {"node": "13", "input": "height"}}
    """#

@Suite("Workflows API", .timeLimit(.minutes(2)))
struct WorkflowAPITests {
    @Test(
        "create, read, list, patch with If-Match, trash; every bad graph or mapping is named and nothing is stored",
        arguments: TestEngine.available)
    func crud(engine: TestEngine) async throws {
        try await withTestServer(engine) { server in
            let created = try await server.request(
                .post, "/api/workflows", body: #"{"name": "My SDXL", "graph": \#(customGraph), "mapping": \#(customMapping)}"#)
            #expect(created.status == 201, "\(created.body)")
            let id = try #require(created.json?["id"]?.stringValue)
            #expect(created.header("Location") == "/api/workflows/\(id)")
            #expect(created.json?["generation_type"] == "image")
            #expect(created.json?["mapping"]?["width"] == [["node": "13", "input": "width"]])
            #expect(created.json?["mapping"]?["prompt"] == [["node": "11", "input": "text"]], "stored as lists")
            #expect(try await server.json("/api/workflows").ids == [id])

            let bad: [(String, String)] = [
                (#"{"name": "A", "graph": \#(customGraph), "mapping": {"seed": {"node": "14", "input": "seed"}}}"#, "mapping.prompt"),
                (#"{"name": "A", "graph": \#(customGraph), "mapping": {"prompt": {"node": "99", "input": "text"}}}"#, "mapping.prompt"),
                (#"{"name": "A", "graph": \#(customGraph), "mapping": {"prompt": {"node": "11", "input": "txt"}}}"#, "mapping.prompt"),
                (#"{"name": "A", "graph": \#(customGraph), "mapping": {"prompt": {"node": "11", "input": "clip"}}}"#, "mapping.prompt"),
                (
                    #"{"name": "A", "graph": \#(customGraph), "mapping": {"prompt": {"node": "11", "input": "text"}, "colour": {"node": "11", "input": "text"}}}"#,
                    "mapping.colour"
                ),
                (#"{"name": "A", "graph": \#(customGraph), "mapping": {"prompt": "11.text"}}"#, "mapping.prompt"),
                (#"{"name": "A", "graph": [1, 2], "mapping": {"prompt": {"node": "11", "input": "text"}}}"#, "graph"),
                (
                    #"{"name": "A", "graph": {"1": {"class_type": "SaveImage", "inputs": {"images": ["7", 0]}}}, "mapping": {"prompt": {"node": "1", "input": "images"}}}"#,
                    "graph.1.images"
                ),
                (#"{"name": "A", "graph": {"1": {"inputs": {}}}, "mapping": {}}"#, "graph.1"),
                (#"{"name": "A", "generation_type": "video", "graph": \#(customGraph), "mapping": \#(customMapping)}"#, "mapping.image"),
                (#"{"name": "A", "generation_type": "gif", "graph": \#(customGraph), "mapping": \#(customMapping)}"#, "generation_type"),
                (#"{"name": " ", "graph": \#(customGraph), "mapping": \#(customMapping)}"#, "name"),
                (#"{"name": "A", "graph": \#(customGraph), "mapping": \#(customMapping), "nodes": 3}"#, "nodes"),
            ]
            for (body, field) in bad {
                let reply = try await server.request(.post, "/api/workflows", body: body)
                #expect(reply.status == 400, "\(field): \(reply.body)")
                #expect(reply.json?["error"]?["details"]?["fields"]?[field] != nil, "\(field): \(reply.body)")
            }
            let duplicate = try await server.request(
                .post, "/api/workflows", body: #"{"name": "My SDXL", "graph": \#(customGraph), "mapping": \#(customMapping)}"#)
            #expect(duplicate.status == 409)
            #expect(duplicate.errorCode == "DUPLICATE_RESOURCE")
            #expect(try await server.json("/api/workflows").ids == [id])

            #expect(
                try await server.request(.patch, "/api/workflows/\(id)", headers: ["If-Match": "\"5\""], body: #"{"name": "B"}"#).status
                    == 412)
            let badPatch = try await server.request(
                .patch, "/api/workflows/\(id)", body: #"{"mapping": {"prompt": {"node": "77", "input": "text"}}}"#)
            #expect(badPatch.status == 400)
            #expect(try await server.json("/api/workflows/\(id)")["version"] == 1)
            let patched = try await server.request(
                .patch, "/api/workflows/\(id)", headers: ["If-Match": "\"1\""],
                body: #"{"description": "mine", "mapping": {"prompt": {"node": "11", "input": "text"}}}"#)
            #expect(patched.status == 200, "\(patched.body)")
            #expect(patched.json?["version"] == 2)
            #expect(patched.json?["mapping"]?["seed"] == nil)

            #expect(try await server.request(.get, "/api/workflows/nope").status == 400)
            #expect(try await server.request(.get, "/api/workflows/\(UUID().uuidString)").status == 404)
            #expect(try await server.request(.delete, "/api/workflows/\(id)").status == 204)
            #expect(try await server.request(.get, "/api/workflows/\(id)").status == 404)
            #expect(try await server.json("/api/trash?type=workflow").items.first?["id"]?.stringValue == id)
            #expect(try await server.request(.post, "/api/workflows/\(id)/restore").status == 200)
            #expect(try await server.request(.delete, "/api/workflows/\(id)").status == 204)
            #expect(try await server.request(.delete, "/api/trash/workflow/\(id)").status == 204)
            #expect(try await server.request(.get, "/api/workflows/\(id)?include_deleted=true").status == 404)
        }
    }
}

extension GenerationSuites {
    @Suite("Generation: user-supplied workflows", .timeLimit(.minutes(3)))
    struct WorkflowGenerationTests {
        @Test(
            "a job runs the user's graph with prompt, seed and size where the mapping says; unknown nodes are refused before sending",
            arguments: TestEngine.available)
        func run(engine: TestEngine) async throws {
            try await withComfyUIStandIns { standIns in
                try await withTestServer(engine, configure: generationSettings) { server in
                    _ = try await server.register(standIns[0])
                    let workflow = try await server.createID(
                        "/api/workflows", #"{"name": "My SDXL", "graph": \#(customGraph), "mapping": \#(customMapping)}"#)
                    let (project, clip) = try await server.promptedClip("a paper boat")
                    let reply = try await server.request(
                        .post, "/api/clips/\(clip)/generate",
                        body: #"{"workflow_id": "\#(workflow)", "params": {"seed": 99, "width": 640}}"#)
                    #expect(reply.status == 202, "\(reply.body)")
                    let queued = try #require(reply.json?["jobs"]?.arrayValue?.first)
                    #expect(queued["workflow_id"]?.stringValue == workflow)
                    #expect(queued["model"] == "sdxl_base_1.0.safetensors", "the graph's own checkpoint picks the server")
                    // Edits after queueing change nothing the job runs.
                    _ = try await server.request(
                        .patch, "/api/workflows/\(workflow)", body: #"{"mapping": {"prompt": {"node": "12", "input": "text"}}}"#)
                    let job = try await server.finishedJob(try #require(queued["id"]?.stringValue))
                    #expect(job["status"] == "succeeded", "\(job)")
                    let graph = try #require(standIns[0].submittedGraphs.last)
                    #expect(graph["11"]?["inputs"]?["text"] == "a paper boat")
                    #expect(graph["14"]?["inputs"]?["seed"] == 99)
                    #expect(graph["13"]?["inputs"]?["width"] == 640)
                    #expect(graph["16"]?["inputs"]?["filename_prefix"] == "mine")
                    #expect(graph["8"] == nil, "not the built-in graph")
                    #expect(try await server.json("/api/clips/\(clip)/gallery")["generated_images"]?.arrayValue?.count == 1)

                    for (body, field) in [
                        (#"{"workflow_id": "\#(UUID().uuidString)"}"#, "workflow_id"), (#"{"workflow_id": "x"}"#, "workflow_id"),
                        (#"{"workflow_id": "\#(workflow)", "generation_type": "video"}"#, "workflow_id"),
                    ] {
                        let refused = try await server.request(.post, "/api/clips/\(clip)/generate", body: body)
                        #expect(refused.status == 400, "\(body)")
                        #expect(refused.json?["error"]?["details"]?["fields"]?[field] != nil, "\(body): \(refused.body)")
                    }
                    let batch = try await server.request(
                        .post, "/api/projects/\(project)/batches", body: #"{"workflow_id": "\#(UUID().uuidString)"}"#)
                    #expect(batch.status == 400)
                    #expect(batch.json?["error"]?["details"]?["fields"]?["workflow_id"] != nil)

                    let exotic = customGraph.replacingOccurrences(
                        of: #""class_type": "VAEDecode""#, with: #""class_type": "UltimateSDUpscale""#)
                    let unknown = try await server.createID(
                        "/api/workflows", #"{"name": "Upscale", "graph": \#(exotic), "mapping": \#(customMapping)}"#)
                    let refusedJob = try #require(
                        try await server.request(.post, "/api/clips/\(clip)/generate", body: #"{"workflow_id": "\#(unknown)"}"#).json?
                            .jobIDs.first)
                    let failed = try await server.finishedJob(refusedJob)
                    #expect(failed["status"] == "failed")
                    #expect(failed["error"]?.stringValue?.contains("UltimateSDUpscale") == true, "\(failed)")
                    #expect(failed["attempts"] == 0, "refused before sending: never sent, not retried")
                    // Nothing was sent, so no start was written: the failure says the job started.
                    let kinds = try await server.projectEvents(project).filter { $0.data?["job_id"]?.stringValue == refusedJob }.map(
                        \.event)
                    #expect(kinds == ["queued", "started", "failed"])
                }
            }
        }
    }
}
