import Foundation
import StoryboardAPI
import StoryboardCore
import StoryboardTestSupport
import Testing

@Suite("Generation pool API", .timeLimit(.minutes(2)))
struct PoolAPITests {
    @Test("upload, list, read, patch with If-Match, apply to a clip; bad inputs change nothing", arguments: TestEngine.available)
    func pool(engine: TestEngine) async throws {
        try await withTestServer(engine) { server in
            let made = try await server.makeProject(scenes: 1, clips: 1)
            let clip = made.clips[0][0]
            let png = try MediaFixtures.data("still.png")
            let upload = try await server.upload(
                .post, "/api/projects/\(made.project)/pool?name=Neon%20alley&tags=night,%20city,night", data: png)
            #expect(upload.status == 201, "\(upload.body)")
            let item = try #require(upload.json)
            let id = try #require(item["id"]?.stringValue)
            #expect(upload.header("Location") == "/api/pool/\(id)")
            #expect(upload.header("ETag") == "\"1\"")
            #expect(item["name"] == "Neon alley")
            #expect(item["content_type"] == "image")
            #expect(item["source_type"] == "manual_upload")
            #expect(item["tags"] == ["night", "city"], "trimmed, duplicates dropped")
            #expect(item["project_id"]?.stringValue == made.project)

            let file = try await server.request(.get, try #require(item["media_url"]?.stringValue))
            #expect(file.status == 200)
            #expect(file.header("Content-Type") == "image/png")
            #expect(file.data == png)

            // Bad uploads: nothing is added.
            let html = try await server.upload(
                .post, "/api/projects/\(made.project)/pool", data: try MediaFixtures.data("page.html"),
                headers: ["Content-Type": "image/png"])
            #expect(html.status == 422)
            #expect(html.errorCode == "INVALID_FILE_TYPE")
            let longName = try await server.upload(
                .post, "/api/projects/\(made.project)/pool?name=\(String(repeating: "x", count: 201))", data: png)
            #expect(longName.status == 400)
            #expect(longName.json?["error"]?["details"]?["fields"]?["name"] != nil)
            let badProject = try await server.upload(.post, "/api/projects/not-a-uuid/pool", data: png)
            #expect(badProject.status == 400)
            let missingProject = try await server.upload(.post, "/api/projects/\(UUID().uuidString)/pool", data: png)
            #expect(missingProject.errorCode == "PROJECT_NOT_FOUND")
            let listed = try await server.json("/api/projects/\(made.project)/pool")
            #expect(listed.ids == [id])
            #expect(try await server.json("/api/projects/\(made.project)/pool?content_type=video").ids.isEmpty)
            #expect(try await server.request(.get, "/api/projects/\(made.project)/pool?content_type=gif").status == 400)
            #expect(try await server.request(.get, "/api/projects/\(made.project)/pool?source_type=stolen").status == 400)

            // PATCH: stale If-Match, unknown field and wrong types are refused and change nothing.
            let stale = try await server.request(.patch, "/api/pool/\(id)", headers: ["If-Match": "\"7\""], body: #"{"name": "Other"}"#)
            #expect(stale.status == 412)
            let unknown = try await server.request(.patch, "/api/pool/\(id)", body: #"{"colour": "red"}"#)
            #expect(unknown.status == 400)
            #expect(unknown.json?["error"]?["details"]?["fields"]?["colour"] != nil)
            let wrongType = try await server.request(.patch, "/api/pool/\(id)", body: #"{"tags": "night", "metadata": [1]}"#)
            #expect(wrongType.status == 400)
            let tooMany = try await server.request(
                .patch, "/api/pool/\(id)", body: #"{"tags": [\#((0..<51).map { "\"t\($0)\"" }.joined(separator: ","))]}"#)
            #expect(tooMany.json?["error"]?["details"]?["fields"]?["tags"] != nil)
            #expect(try await server.json("/api/pool/\(id)")["version"] == 1)
            let patched = try await server.request(
                .patch, "/api/pool/\(id)", headers: ["If-Match": "\"1\""],
                body: #"{"name": "Alley", "description": "for the bridge", "metadata": {"mood": "dark"}}"#
            )
            #expect(patched.status == 200, "\(patched.body)")
            #expect(patched.json?["version"] == 2)
            #expect(patched.json?["metadata"]?["mood"] == "dark")
            #expect(patched.json?["tags"] == ["night", "city"])

            // Apply: a gallery item of the clip with the same file, selected as the first image.
            let applied = try await server.request(.post, "/api/pool/\(id)/apply", body: #"{"clip_id": "\#(clip)"}"#)
            #expect(applied.status == 201, "\(applied.body)")
            #expect(applied.json?["is_selected"] == true)
            let gallery = try await server.json("/api/clips/\(clip)/gallery")
            #expect(gallery["generated_images"]?.arrayValue?.count == 1)
            #expect(gallery["selected_image_id"] == applied.json?["id"])
            let copy = try await server.request(.get, try #require(applied.json?["url"]?.stringValue))
            #expect(copy.data == png)
            #expect(try await server.json("/api/projects/\(made.project)/pool").ids == [id], "the item stays in the pool")

            let other = try await server.makeProject(name: "Other", scenes: 1, clips: 1)
            let foreign = try await server.request(.post, "/api/pool/\(id)/apply", body: #"{"clip_id": "\#(other.clips[0][0])"}"#)
            #expect(foreign.status == 400)
            #expect(foreign.json?["error"]?["details"]?["fields"]?["clip_id"] != nil)
            for body in [#"{}"#, #"{"clip_id": "nope"}"#, #"{"clip_id": "\#(UUID().uuidString)"}"#, #"{"clip_id": "\#(clip)", "x": 1}"#] {
                let reply = try await server.request(.post, "/api/pool/\(id)/apply", body: body)
                #expect(reply.status == 400, "\(body): \(reply.body)")
            }
            #expect(
                try await server.request(.post, "/api/pool/\(UUID().uuidString)/apply", body: #"{"clip_id": "\#(clip)"}"#).status == 404)
            #expect(try await server.json("/api/clips/\(clip)/gallery")["generated_images"]?.arrayValue?.count == 1)
        }
    }

    @Test(
        "pool items go to the trash alone or with their project, come back exactly, and purge leaves nothing",
        arguments: TestEngine.available)
    func trash(engine: TestEngine) async throws {
        try await withTestServer(engine, configure: { $0.mediaOrphanGrace = 0 }) { server in
            let project = try await server.createID("/api/projects", #"{"name": "Song"}"#)
            let png = try MediaFixtures.data("still.png")
            let first = try #require(
                try await server.upload(.post, "/api/projects/\(project)/pool?name=One", data: png).json?["id"]?.stringValue)
            let second = try #require(
                try await server.upload(.post, "/api/projects/\(project)/pool?name=Two", data: try MediaFixtures.data("still.jpg")).json?[
                    "id"]?.stringValue)

            #expect(try await server.request(.delete, "/api/pool/\(first)", headers: ["If-Match": "\"9\""]).status == 412)
            #expect(try await server.request(.delete, "/api/pool/\(first)").status == 204)
            #expect(try await server.request(.get, "/api/pool/\(first)").status == 404)
            #expect(try await server.json("/api/projects/\(project)/pool").ids == [second])
            #expect(try await server.json("/api/trash?type=pool_item").items.first?["id"]?.stringValue == first)
            let restored = try await server.request(.post, "/api/pool/\(first)/restore")
            #expect(restored.status == 200)
            #expect(restored.json?["deleted_at"] == .null)
            #expect(try await server.request(.post, "/api/pool/\(first)/restore").status == 409)

            // An earlier separate delete stays deleted when the project comes back.
            #expect(try await server.request(.delete, "/api/pool/\(second)").status == 204)
            #expect(try await server.request(.delete, "/api/projects/\(project)").status == 204)
            #expect(try await server.request(.get, "/api/pool/\(first)").status == 404)
            #expect(try await server.request(.post, "/api/pool/\(second)/restore").status == 409, "its project is in the trash")
            #expect(try await server.request(.post, "/api/projects/\(project)/restore").status == 200)
            #expect(try await server.json("/api/projects/\(project)/pool").ids == [first])

            #expect(try await server.request(.delete, "/api/projects/\(project)").status == 204)
            #expect(try await server.request(.delete, "/api/trash/project/\(project)").status == 204)
            for id in [first, second] {
                #expect(try await server.request(.get, "/api/pool/\(id)?include_deleted=true").status == 404)
                #expect(try await server.request(.get, "/api/media/\(id)").status == 404)
            }
        }
    }
}
