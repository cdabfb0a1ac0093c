import Foundation
import HTTPTypes
import StoryboardAPI
import StoryboardCore
import StoryboardTestSupport
import Testing

/// Every documented route, called once the way a client would, must have answered with
/// success at least once: read back from the server's own request metrics.
@Suite("Route tour", .timeLimit(.minutes(5)))
struct RouteTourTests {
    @Test("every route in /openapi.json answers a valid request with 2xx or 3xx", arguments: TestEngine.available)
    func tour(engine: TestEngine) async throws {
        try await withComfyUIStandIns { standIns in
            // Renders are queued, not run: any executable stands in for ffmpeg.
            try await withTestServer(
                engine,
                configure: {
                    generationSettings(&$0)
                    $0.render.ffmpeg = "/bin/true"
                }
            ) { server in
                let (project, scenes, clips) = try await server.makeProject(scenes: 2, clips: 2)
                let scene = scenes[0]
                let clip = clips[0][0]
                func ok(
                    _ method: HTTPRequest.Method, _ path: String, _ body: String? = nil, headers: [String: String] = [:]
                ) async throws -> JSONValue? {
                    let reply = try await server.request(method, path, headers: headers, body: body)
                    #expect((200..<400).contains(reply.status), "\(method) \(path): \(reply.status) \(reply.body)")
                    return reply.json
                }
                func upload(_ method: HTTPRequest.Method, _ path: String, _ fixture: String) async throws -> JSONValue? {
                    let reply = try await server.upload(method, path, data: try MediaFixtures.data(fixture))
                    #expect((200..<400).contains(reply.status), "\(path): \(reply.status) \(reply.body)")
                    return reply.json
                }

                _ = try await ok(.get, "/api/health")
                _ = try await ok(.get, "/openapi.json")
                _ = try await ok(.get, "/api/projects?include=scenes")
                _ = try await ok(.patch, "/api/projects/\(project)", #"{"description": "tour"}"#)
                _ = try await ok(.get, "/api/projects/\(project)?include=scenes.clips")
                _ = try await ok(.get, "/api/projects/\(project)/timeline")
                _ = try await upload(.put, "/api/projects/\(project)/music", "tone.ogg")
                _ = try await ok(.get, "/api/projects/\(project)/music", headers: ["Range": "bytes=0-3"])

                _ = try await ok(.get, "/api/projects/\(project)/scenes")
                _ = try await ok(.get, "/api/scenes/\(scene)")
                _ = try await ok(.patch, "/api/scenes/\(scene)", #"{"name": "Opening", "order": 1}"#)
                _ = try await ok(.post, "/api/projects/\(project)/scenes/reorder", #"{"scene_ids": ["\#(scene)", "\#(scenes[1])"]}"#)
                let alternate = try #require(try await ok(.post, "/api/scenes/\(scene)/alternates", "{}")?["id"]?.stringValue)
                _ = try await ok(.get, "/api/scenes/\(scene)/alternates")
                _ = try await ok(.post, "/api/scenes/\(alternate)/promote")
                _ = try await ok(.delete, "/api/scenes/\(scene)")
                _ = try await ok(.post, "/api/scenes/\(scene)/restore")

                _ = try await ok(.get, "/api/scenes/\(alternate)/clips")
                _ = try await ok(.get, "/api/projects/\(project)/clips")
                _ = try await ok(.get, "/api/clips/\(clip)")
                _ = try await ok(.patch, "/api/clips/\(clip)", #"{"lyrics": "tour"}"#)
                _ = try await ok(.put, "/api/clips/\(clip)/prompts", #"{"image_prompt": "tour"}"#)
                _ = try await ok(.put, "/api/clips/\(clip)/timeline", #"{"timeline_position": 100}"#)
                _ = try await ok(.post, "/api/scenes/\(scene)/clips/reorder", #"{"clip_ids": ["\#(clips[0][1])", "\#(clip)"]}"#)
                _ = try await ok(.post, "/api/clips/\(clip)/move", #"{"scene_id": "\#(scenes[1])"}"#)
                let clipAlternate = try #require(try await ok(.post, "/api/clips/\(clip)/alternates", "{}")?["id"]?.stringValue)
                _ = try await ok(.get, "/api/clips/\(clip)/alternates")
                _ = try await ok(.post, "/api/clips/\(clipAlternate)/promote")
                _ = try await ok(.delete, "/api/clips/\(clip)")
                _ = try await ok(.post, "/api/clips/\(clip)/restore")
                let image = try #require(try await upload(.post, "/api/clips/\(clip)/gallery", "still.png")?["id"]?.stringValue)
                _ = try await ok(.get, "/api/clips/\(clip)/gallery")
                _ = try await ok(.post, "/api/clips/\(clip)/gallery/select", #"{"image_id": "\#(image)"}"#)
                _ = try await ok(.get, "/api/media/\(image)")
                _ = try await ok(.post, "/api/clips/\(clip)/versions", "{}")
                _ = try await ok(.get, "/api/clips/\(clip)/versions")
                _ = try await ok(.get, "/api/clips/\(clip)/versions/1")
                _ = try await ok(.post, "/api/clips/\(clip)/versions/1/activate")
                _ = try await ok(.delete, "/api/clips/\(clip)/gallery/\(image)")

                let character = try #require(
                    try await server.create("/api/projects/\(project)/characters", #"{"name": "Mira"}"#)["id"]?.stringValue)
                _ = try await ok(.get, "/api/projects/\(project)/characters")
                _ = try await ok(.get, "/api/characters/\(character)")
                _ = try await ok(.patch, "/api/characters/\(character)", #"{"trigger_words": ["mira"]}"#, headers: ["If-Match": "\"1\""])
                _ = try await upload(.post, "/api/characters/\(character)/reference-images", "still.jpg")
                _ = try await ok(.get, "/api/characters/\(character)/reference-images")
                _ = try await ok(.post, "/api/characters/\(character)/apply", #"{"clip_id": "\#(clip)"}"#)
                _ = try await ok(.delete, "/api/characters/\(character)")
                _ = try await ok(.post, "/api/characters/\(character)/restore")

                let template = try #require(
                    try await server.create("/api/style-templates", #"{"name": "Noir", "prompt_template": "{prompt}, noir"}"#)["id"]?
                        .stringValue)
                _ = try await ok(.get, "/api/style-templates")
                _ = try await ok(.get, "/api/style-templates/\(template)")
                _ = try await ok(.patch, "/api/style-templates/\(template)", #"{"description": "dark"}"#)
                _ = try await ok(.post, "/api/style-templates/\(template)/apply", #"{"clip_id": "\#(clip)"}"#)
                _ = try await ok(.delete, "/api/style-templates/\(template)")
                _ = try await ok(.post, "/api/style-templates/\(template)/restore")

                let gpu = try #require(
                    try await server.create("/api/servers", #"{"name": "Box", "url": "http://gpu.local:8188", "server_type": "comfyui"}"#)[
                        "id"]?.stringValue)
                _ = try await ok(.get, "/api/servers")
                _ = try await ok(.get, "/api/servers/\(gpu)")
                _ = try await ok(.patch, "/api/servers/\(gpu)", #"{"max_concurrent": 2}"#)
                _ = try await ok(.delete, "/api/servers/\(gpu)")
                _ = try await ok(.post, "/api/servers/\(gpu)/restore")

                let box = try await server.register(standIns[0])
                _ = try await ok(.get, "/api/servers/\(box)/status")
                let job = try #require(try await ok(.post, "/api/clips/\(clip)/generate", #"{"count": 1}"#)?.jobIDs.first)
                _ = try await ok(.get, "/api/jobs?clip_id=\(clip)")
                _ = try await ok(.get, "/api/jobs/\(job)")
                _ = try await ok(.get, "/api/jobs/\(job)/preview")
                #expect(try await server.finishedJob(job)["status"] == "succeeded")
                let sample = try #require(try await ok(.post, "/api/characters/\(character)/samples", #"{"count": 1}"#)?.jobIDs.first)
                #expect(try await server.finishedJob(sample)["status"] == "succeeded")
                let sampleImage = try #require(
                    try await ok(.get, "/api/characters/\(character)/samples")?["items"]?.arrayValue?.first?["id"]?.stringValue)
                _ = try await ok(.post, "/api/characters/\(character)/samples/\(sampleImage)/make-reference")
                let batch = try #require(
                    try await ok(.post, "/api/projects/\(project)/batches", #"{"clip_ids": ["\#(clip)"]}"#)?["id"]?.stringValue)
                _ = try await ok(.get, "/api/projects/\(project)/batches")
                _ = try await ok(.get, "/api/batches/\(batch)")
                _ = try await server.finishedBatch(batch)
                _ = try await ok(.get, "/api/batches/\(batch)/events")
                _ = try await ok(.get, "/api/events?project_id=\(project)&last_event_id=999999999")
                standIns[0].setFault(.refuseWorkflow)
                let failing = try #require(
                    try await ok(.post, "/api/projects/\(project)/batches", #"{"clip_ids": ["\#(clip)"]}"#)?["id"]?.stringValue)
                _ = try await server.finishedBatch(failing)
                standIns[0].setFault(.hang)
                _ = try await ok(.post, "/api/batches/\(failing)/retry-failed")
                _ = try await ok(.post, "/api/batches/\(failing)/cancel")
                let stuck = try #require(try await ok(.post, "/api/clips/\(clip)/generate", "{}")?.jobIDs.first)
                _ = try await server.request(.patch, "/api/jobs/\(stuck)", body: #"{"priority": 5}"#)  // 409 once the dispatcher has it
                _ = try await ok(.post, "/api/jobs/\(stuck)/cancel")
                standIns[0].setFault(.none)
                #expect(
                    try await server.finishedJob(try #require(try await ok(.post, "/api/jobs/\(stuck)/retry")?["id"]?.stringValue))[
                        "status"] == "succeeded")

                let pooled = try #require(
                    try await upload(.post, "/api/projects/\(project)/pool?name=Spare", "still.webp")?["id"]?.stringValue)
                _ = try await ok(.get, "/api/projects/\(project)/pool")
                _ = try await ok(.get, "/api/pool/\(pooled)")
                _ = try await ok(.patch, "/api/pool/\(pooled)", #"{"tags": ["spare"]}"#)
                _ = try await ok(.post, "/api/pool/\(pooled)/apply", #"{"clip_id": "\#(clip)"}"#)
                _ = try await ok(.delete, "/api/pool/\(pooled)")
                _ = try await ok(.post, "/api/pool/\(pooled)/restore")
                let render = try #require(
                    try await ok(.post, "/api/projects/\(project)/renders", #"{"width": 320, "height": 180, "fps": 12}"#)?["id"]?
                        .stringValue)
                _ = try await ok(.get, "/api/projects/\(project)/renders")
                _ = try await ok(.get, "/api/renders/\(render)")
                _ = try await ok(.post, "/api/renders/\(render)/cancel")

                let workflow = try #require(
                    try await server.create("/api/workflows", #"{"name": "Mine", "graph": \#(customGraph), "mapping": \#(customMapping)}"#)[
                        "id"]?.stringValue)
                _ = try await ok(.get, "/api/workflows")
                _ = try await ok(.get, "/api/workflows/\(workflow)")
                _ = try await ok(.patch, "/api/workflows/\(workflow)", #"{"description": "tour"}"#)
                _ = try await ok(.delete, "/api/workflows/\(workflow)")
                _ = try await ok(.post, "/api/workflows/\(workflow)/restore")

                let worker = try #require(
                    try await server.create(
                        "/api/servers", #"{"name": "NAT box", "url": "http://nat.local:8188", "server_type": "comfyui", "pull_mode": true}"#
                    )["id"]?.stringValue
                )
                let pulled = try #require(try await ok(.post, "/api/clips/\(clip)/generate", #"{"server_id": "\#(worker)"}"#)?.jobIDs.first)
                let claimed = try await ok(.post, "/api/workers/\(worker)/claim", #"{"checkpoints": ["sdxl_base_1.0.safetensors"]}"#)
                #expect(claimed?["job"]?["id"]?.stringValue == pulled)
                _ = try await ok(.post, "/api/jobs/\(pulled)/heartbeat", #"{"progress": {"value": 3, "max": 20}}"#)
                let output = try #require(try await upload(.post, "/api/jobs/\(pulled)/outputs", "still.png")?["media_id"]?.stringValue)
                _ = try await ok(.post, "/api/jobs/\(pulled)/complete", #"{"outputs": [{"media_id": "\#(output)"}]}"#)
                let waiting = try #require(
                    try await ok(.post, "/api/clips/\(clip)/generate", #"{"server_id": "\#(worker)"}"#)?.jobIDs.first)
                _ = try await ok(.patch, "/api/jobs/\(waiting)", #"{"priority": 10}"#)
                _ = try await ok(.post, "/api/jobs/clear-finished", #"{"project_id": "\#(project)"}"#)

                _ = try await ok(.get, "/api/trash")
                _ = try await ok(.post, "/api/trash/gallery_item/\(image)/restore")
                _ = try await ok(.delete, "/api/clips/\(clip)/gallery/\(image)")
                _ = try await ok(.delete, "/api/trash/gallery_item/\(image)")
                _ = try await ok(.post, "/api/trash/purge?older_than=30d")
                _ = try await ok(.delete, "/api/projects/\(project)")
                _ = try await ok(.post, "/api/projects/\(project)/restore")
                _ = try await ok(.get, "/metrics")
                for link in [
                    "/", "/projects", "/projects/\(project)", "/projects/\(project)/clips/\(clip)", "/projects/\(project)/characters",
                    "/projects/\(project)/present", "/queue", "/servers", "/models", "/styles", "/trash",
                ] {
                    _ = try await ok(.get, link)
                }
                let script = try #require(StudioAPITests.scriptPath(in: try await server.request(.get, "/").body))
                _ = try await ok(.get, script)
                _ = try await ok(.get, script.replacingOccurrences(of: "/app.js", with: "/views/project.js"))

                let metrics = try await server.request(.get, "/metrics").body
                var succeeded = Set<String>()
                for line in metrics.split(separator: "\n") where line.hasPrefix("storyboard_http_requests_total{") {
                    let labels = Self.labels(String(line))
                    if let status = labels["status"].flatMap(Int.init), (200..<400).contains(status), let method = labels["method"],
                        let route = labels["route"]
                    {
                        succeeded.insert("\(method) \(route)")
                    }
                }
                let document = try await server.json("/openapi.json")
                var documented = Set<String>()
                for (path, item) in document["paths"]?.objectValue ?? [:] {
                    for method in item.objectValue?.keys ?? [:].keys where ["get", "post", "put", "patch", "delete"].contains(method) {
                        documented.insert("\(method.uppercased()) \(path)")
                    }
                }
                #expect(documented.count > 60)
                #expect(
                    documented.subtracting(succeeded).isEmpty, "never answered with success: \(documented.subtracting(succeeded).sorted())")
            }
        }
    }

    static func labels(_ line: String) -> [String: String] {
        guard let open = line.firstIndex(of: "{"), let close = line.lastIndex(of: "}") else { return [:] }
        var result: [String: String] = [:]
        // `name="value",name="value"`: values may hold `,` and `}` but never `",`.
        for pair in line[line.index(after: open)..<close].components(separatedBy: "\",") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.count == 2 {
                result[String(parts[0]).trimmingCharacters(in: CharacterSet(charactersIn: ","))] = parts[1].trimmingCharacters(
                    in: CharacterSet(charactersIn: "\""))
            }
        }
        return result
    }
}
