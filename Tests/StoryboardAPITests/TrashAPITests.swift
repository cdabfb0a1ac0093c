import Foundation
import StoryboardAPI
import StoryboardCore
import StoryboardDatabase
import StoryboardTestSupport
import Testing

@Suite("Trash API", .timeLimit(.minutes(3)))
struct TrashAPITests {
    /// The tree without the fields a delete and restore legitimately change.
    static func stable(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let object):
            var copy = object
            for key in ["version", "updated_at"] { copy[key] = nil }
            return .object(copy.mapValues(stable))
        case .array(let items): return .array(items.map(stable))
        default: return value
        }
    }

    @Test(
        "a clip's delete while a sibling's job is attaching its result: both go through, the sibling moves up",
        arguments: TestEngine.available)
    func deleteBesideFinishingJob(engine: TestEngine) async throws {
        try await withTestServer(engine) { server in
            let worker = try await server.registerPullWorker(maxConcurrent: 4)
            let (_, _, clips) = try await server.makeProject(scenes: 1, clips: 2)
            let (deleted, sibling) = (clips[0][0], clips[0][1])
            for clip in [deleted, sibling] {
                #expect(try await server.request(.put, "/api/clips/\(clip)/prompts", body: #"{"image_prompt": "a shot"}"#).status == 200)
            }
            let cancelled = try await server.queueJob(deleted, on: worker)
            let siblingJobID = try #require(UUID(uuidString: try await server.queueJob(sibling, on: worker)))
            let siblingJob = try #require(try await server.database.jobs.find(id: siblingJobID))
            let siblingID = try #require(UUID(uuidString: sibling))
            // What a finishing job of the sibling does (JobResults): its clip's row first, the
            // event log's lock near the end. On PostgreSQL the delete must not take that lock
            // before it waits for the sibling's row, or the two wait for each other.
            let finishing = server.database.finishingJob(on: siblingID) { tx in
                try await tx.jobEvents.append([JobEvent.of(siblingJob, .progress)])
            }
            try await Task.sleep(for: .milliseconds(150))
            let reply = try await server.request(.delete, "/api/clips/\(deleted)")
            try await finishing.value
            #expect(reply.status == 204, "\(reply.body)")
            #expect(try await server.json("/api/clips/\(sibling)")["order"] == 0, "the sibling moved up")
            let trashedJob = try await server.database.jobs.find(id: try #require(UUID(uuidString: cancelled)), includeDeleted: true)
            #expect(trashedJob?.status == .cancelled, "the deleted clip's job went to the trash cancelled")
        }
    }

    @Test(
        "cascade delete of a project, then restore, gives back exactly the tree; an earlier separate delete stays deleted",
        arguments: TestEngine.available)
    func projectCascade(engine: TestEngine) async throws {
        try await withTestServer(engine) { server in
            let (project, scenes, clips) = try await server.makeProject(scenes: 3, clips: 3)
            _ = try await server.create("/api/scenes/\(scenes[0])/alternates?copy_clips=true", "{}")
            _ = try await server.create("/api/clips/\(clips[1][0])/alternates", "{}")
            let image = try MediaFixtures.data("still.png")
            #expect(try await server.upload(.post, "/api/clips/\(clips[1][1])/gallery", data: image).status == 201)
            let character = try await server.createID(
                "/api/projects/\(project)/characters", #"{"name": "Mira", "trigger_words": ["mira_tw"]}"#)
            // Deleted earlier, on its own: must stay in the trash when the project comes back.
            #expect(try await server.request(.delete, "/api/clips/\(clips[2][2])").status == 204)
            let before = try await server.json("/api/projects/\(project)?include=scenes.clips")

            #expect(try await server.request(.delete, "/api/projects/\(project)").status == 204)
            #expect(try await server.request(.get, "/api/projects/\(project)").status == 404)
            #expect(try await server.request(.get, "/api/scenes/\(scenes[0])").status == 404)
            #expect(try await server.request(.get, "/api/clips/\(clips[1][1])").status == 404)
            #expect(try await server.request(.get, "/api/characters/\(character)").status == 404)
            let trash = try await server.json("/api/trash")
            #expect(trash.items.map { $0["type"] } == ["project", "clip"], "roots only, newest first")
            #expect(try await server.json("/api/trash?type=clip").items.count == 1)
            // A child of a trashed parent cannot come back alone.
            let orphan = try await server.request(.post, "/api/scenes/\(scenes[0])/restore")
            #expect(orphan.status == 409)
            #expect(orphan.errorCode == "CONFLICT")

            #expect(try await server.request(.post, "/api/projects/\(project)/restore").status == 200)
            let after = try await server.json("/api/projects/\(project)?include=scenes.clips")
            #expect(Self.stable(after) == Self.stable(before))
            #expect(try await server.request(.get, "/api/clips/\(clips[2][2])").status == 404, "the earlier delete is still in the trash")
            #expect(try await server.json("/api/characters/\(character)")["name"] == "Mira")
            #expect(try await server.json("/api/trash").items.map { $0["type"] } == ["clip"])

            // Now the earlier delete comes back too, at its old place.
            #expect(try await server.request(.post, "/api/clips/\(clips[2][2])/restore").status == 200)
            #expect(try await server.json("/api/scenes/\(scenes[2])/clips").ids == clips[2])
            #expect(try await server.request(.post, "/api/clips/\(clips[2][2])/restore").status == 409, "not in the trash any more")
        }
    }

    @Test("scene delete and restore: the scene returns to its place and its clips with it", arguments: TestEngine.available)
    func sceneRestorePlace(engine: TestEngine) async throws {
        try await withTestServer(engine) { server in
            let (project, scenes, clips) = try await server.makeProject(scenes: 3, clips: 2)
            #expect(try await server.request(.delete, "/api/scenes/\(scenes[1])", headers: ["If-Match": "\"99\""]).status == 412)
            #expect(try await server.request(.delete, "/api/scenes/\(scenes[1])").status == 204)
            #expect(try await server.json("/api/projects/\(project)/scenes").ids == [scenes[0], scenes[2]])
            #expect(try await server.json("/api/projects/\(project)/clips").items.count == 4)
            let restored = try await server.request(.post, "/api/trash/scene/\(scenes[1])/restore")
            #expect(restored.status == 204)
            #expect(try await server.json("/api/projects/\(project)/scenes").ids == scenes)
            #expect(try await server.json("/api/scenes/\(scenes[1])/clips").ids == clips[1])
            #expect(try await server.request(.post, "/api/trash/widget/\(scenes[1])/restore").errorCode == "INVALID_PARAMETER")
        }
    }

    @Test("purge removes rows and files for good and leaves no orphans; live rows cannot be purged", arguments: TestEngine.available)
    func purge(engine: TestEngine) async throws {
        try await withTestServer(engine, configure: { $0.mediaOrphanGrace = 0 }) { server in
            let (project, _, clips) = try await server.makeProject(scenes: 2, clips: 2)
            let music = try MediaFixtures.data("tone.wav")
            #expect(try await server.upload(.put, "/api/projects/\(project)/music", data: music).status == 200)
            #expect(
                try await server.upload(.post, "/api/clips/\(clips[0][0])/gallery", data: try MediaFixtures.data("still.jpg")).status == 201
            )
            let character = try await server.createID("/api/projects/\(project)/characters", #"{"name": "Mira"}"#)
            #expect(
                try await server.upload(.post, "/api/characters/\(character)/reference-images", data: try MediaFixtures.data("still.webp"))
                    .status == 201)
            let mediaRoot = "\(server.configuration.dataDirectory)/media"
            let files = { () -> [String] in
                (FileManager.default.enumerator(atPath: mediaRoot)?.allObjects as? [String] ?? []).filter {
                    $0.contains(".") && !$0.hasPrefix("tmp")
                }
            }
            #expect(files().count == 3)

            // Part of a larger delete: only the root of a delete can be purged.
            #expect(
                try await server.request(
                    .delete,
                    "/api/scenes/\(clips.isEmpty ? "" : try await server.json("/api/clips/\(clips[1][0])")["scene_id"]?.stringValue ?? "")"
                ).status == 204)
            let part = try await server.request(.delete, "/api/trash/clip/\(clips[1][0])")
            #expect(part.status == 409)
            #expect(part.json?["error"]?["details"]?["root_type"] == "scene")
            let live = try await server.request(.delete, "/api/trash/project/\(project)")
            #expect(live.status == 409, "a live project is never purged")
            #expect(try await server.request(.delete, "/api/projects/\(project)").status == 204)
            #expect(try await server.request(.delete, "/api/trash/project/\(project)").status == 204)
            #expect(try await server.request(.get, "/api/projects/\(project)?include_deleted=true").status == 404)
            #expect(try await server.json("/api/trash").items.isEmpty)
            #expect(files().isEmpty, "no file is left that nothing refers to")
            let tables = [
                "projects", "scenes", "clips", "gallery_items", "clip_versions", "characters", "character_images", "style_templates",
                "deletions", "media_files",
            ]
            for table in tables {
                let count = try await server.database.read { sql in
                    try await sql.raw("SELECT COUNT(*) AS n FROM \(unsafeRaw: table)").first()?.decode(column: "n", as: Int.self)
                }
                #expect(count == 0, "\(table) is empty")
            }
        }
    }

    @Test("scheduled purge: only deletes older than the retention; a file still used elsewhere stays", arguments: TestEngine.available)
    func retention(engine: TestEngine) async throws {
        try await withTestServer(engine) { server in
            let old = try await server.createID("/api/projects", #"{"name": "Old"}"#)
            let keep = try await server.createID("/api/projects", #"{"name": "Keep"}"#)
            let music = try MediaFixtures.data("tone.flac")
            #expect(try await server.upload(.put, "/api/projects/\(old)/music", data: music).status == 200)
            #expect(try await server.upload(.put, "/api/projects/\(keep)/music", data: music).status == 200)
            #expect(try await server.request(.delete, "/api/projects/\(old)").status == 204)
            #expect(try await server.request(.post, "/api/trash/purge?older_than=1d").json?["purged"] == 0)
            #expect(try await server.request(.post, "/api/trash/purge?older_than=soon").errorCode == "INVALID_PARAMETER")
            #expect(try await server.request(.post, "/api/trash/purge?older_than=0s").json?["purged"] == 1)
            #expect(try await server.request(.get, "/api/projects/\(old)?include_deleted=true").status == 404)
            let stillThere = try await server.request(.get, "/api/projects/\(keep)/music")
            #expect(stillThere.status == 200)
            #expect(stillThere.data == music)
        }
    }

    @Test(
        "gallery: select only items of this clip; trashing the selected item clears it and restoring brings it back",
        arguments: TestEngine.available)
    func gallery(engine: TestEngine) async throws {
        try await withTestServer(engine) { server in
            let (_, _, clips) = try await server.makeProject(scenes: 1, clips: 2)
            let first = try await server.upload(.post, "/api/clips/\(clips[0][0])/gallery", data: try MediaFixtures.data("still.png"))
            let second = try await server.upload(.post, "/api/clips/\(clips[0][0])/gallery", data: try MediaFixtures.data("still.jpg"))
            let elsewhere = try await server.upload(.post, "/api/clips/\(clips[0][1])/gallery", data: try MediaFixtures.data("still.webp"))
            let firstID = try #require(first.json?["id"]?.stringValue)
            let secondID = try #require(second.json?["id"]?.stringValue)
            let otherID = try #require(elsewhere.json?["id"]?.stringValue)
            #expect(first.json?["is_selected"] == true, "the first image is selected by itself")
            #expect(second.json?["is_selected"] == false)

            let wrongClip = try await server.request(
                .post, "/api/clips/\(clips[0][0])/gallery/select", body: #"{"image_id": "\#(otherID)"}"#)
            #expect(wrongClip.status == 400)
            #expect(wrongClip.json?["error"]?["details"]?["fields"]?["image_id"] == "is not in this clip's gallery")
            let wrongKind = try await server.request(
                .post, "/api/clips/\(clips[0][0])/gallery/select", body: #"{"video_id": "\#(secondID)"}"#)
            #expect(wrongKind.status == 400)
            #expect(
                try await server.request(.post, "/api/clips/\(clips[0][0])/gallery/select", body: #"{"image_id": "\#(secondID)"}"#).status
                    == 200)
            let gallery = try await server.json("/api/clips/\(clips[0][0])/gallery")
            #expect(gallery["selected_image_id"] == .string(secondID))
            #expect(gallery["generated_images"]?.arrayValue?.count == 2)

            #expect(try await server.request(.delete, "/api/clips/\(clips[0][0])/gallery/\(otherID)").status == 404, "not this clip's item")
            #expect(try await server.request(.delete, "/api/clips/\(clips[0][0])/gallery/\(secondID)").status == 204)
            #expect(try await server.json("/api/clips/\(clips[0][0])")["selected_image_id"] == .null)
            #expect(try await server.request(.post, "/api/trash/gallery_item/\(secondID)/restore").status == 204)
            #expect(try await server.json("/api/clips/\(clips[0][0])")["selected_image_id"] == .string(secondID))
            #expect(try await server.request(.get, "/api/media/\(firstID)").data == (try MediaFixtures.data("still.png")))
        }
    }
}
