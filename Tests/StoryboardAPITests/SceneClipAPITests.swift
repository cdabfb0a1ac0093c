import Foundation
import StoryboardAPI
import StoryboardCore
import StoryboardDatabase
import StoryboardTestSupport
import Testing

@Suite("Scenes and clips API", .timeLimit(.minutes(2)))
struct SceneClipAPITests {
    @Test("scenes: append by default, insert at order shifts the others, reorder takes a full permutation", arguments: TestEngine.available)
    func sceneOrdering(engine: TestEngine) async throws {
        try await withTestServer(engine) { server in
            let project = try await server.createID("/api/projects", #"{"name": "Song"}"#)
            let a = try await server.createID("/api/projects/\(project)/scenes", #"{"name": "A"}"#)
            let b = try await server.createID("/api/projects/\(project)/scenes", #"{"name": "B"}"#)
            let c = try await server.create("/api/projects/\(project)/scenes", #"{"name": "C", "order": 0}"#)
            #expect(c["order"] == 0)
            let listed = try await server.json("/api/projects/\(project)/scenes")
            #expect(listed.items.map { $0["name"]?.stringValue } == ["C", "A", "B"])
            #expect(listed.items.map { $0["order"] } == [0, 1, 2])
            let cID = try #require(c["id"]?.stringValue)

            let reordered = try await server.request(
                .post, "/api/projects/\(project)/scenes/reorder", body: #"{"scene_ids": ["\#(b)", "\#(a)", "\#(cID)"]}"#)
            #expect(reordered.status == 200)
            #expect(reordered.json?.ids == [b, a, cID])

            let missing = try await server.request(
                .post, "/api/projects/\(project)/scenes/reorder", body: #"{"scene_ids": ["\#(b)", "\#(a)"]}"#)
            #expect(missing.status == 400)
            #expect(missing.errorCode == "VALIDATION_ERROR")
            #expect(missing.json?["error"]?["details"]?["missing_ids"] == [.string(cID)])
            let stranger = UUID().uuidString.lowercased()
            let extra = try await server.request(
                .post, "/api/projects/\(project)/scenes/reorder", body: #"{"scene_ids": ["\#(b)", "\#(a)", "\#(cID)", "\#(stranger)"]}"#
            )
            #expect(extra.json?["error"]?["details"]?["extra_ids"] == [.string(stranger)])
            let repeated = try await server.request(
                .post, "/api/projects/\(project)/scenes/reorder", body: #"{"scene_ids": ["\#(b)", "\#(b)", "\#(a)"]}"#)
            #expect(repeated.status == 400)
            let notIDs = try await server.request(.post, "/api/projects/\(project)/scenes/reorder", body: #"{"scene_ids": ["x"]}"#)
            #expect(notIDs.json?["error"]?["details"]?["fields"]?["scene_ids"] != nil)
            #expect(try await server.json("/api/projects/\(project)/scenes").ids == [b, a, cID], "a refused reorder changes nothing")

            // Deleting closes the gap; the orders stay dense.
            #expect(try await server.request(.delete, "/api/scenes/\(a)").status == 204)
            #expect(try await server.json("/api/projects/\(project)/scenes").items.map { $0["order"] } == [0, 1])
        }
    }

    @Test(
        "bad input: names, lengths, positions, unknown fields, ids that are not UUIDs, other projects' characters",
        arguments: TestEngine.available)
    func badInput(engine: TestEngine) async throws {
        try await withTestServer(engine) { server in
            let (project, scenes, _) = try await server.makeProject(scenes: 1, clips: 0)
            let scene = scenes[0]
            let cases: [(String, String, String)] = [
                (#"{"name": "   ", "length": 2}"#, "name", "empty name"),
                (#"{"name": "\#(String(repeating: "x", count: 201))", "length": 2}"#, "name", "201 characters"),
                (#"{"name": "ok", "length": 0}"#, "length", "zero length"),
                (#"{"name": "ok", "length": -1}"#, "length", "negative length"),
                (#"{"name": "ok", "length": "2"}"#, "length", "a string for a number"),
                (#"{"name": "ok", "length": 2, "timeline_position": 10001}"#, "timeline_position", "past 10000 s"),
                (#"{"name": "ok", "length": 2, "timeline_position": -0.5}"#, "timeline_position", "before 0"),
                (#"{"name": "ok", "length": 2, "order": -1}"#, "order", "negative order"),
                (#"{"name": "ok", "length": 2, "colour": "red"}"#, "colour", "unknown field"),
                (#"{"name": "ok", "length": 2, "character_id": "nope"}"#, "character_id", "not a UUID"),
                (
                    #"{"name": "ok", "length": 2, "image_prompt": "\#(String(repeating: "p", count: 5001))"}"#, "image_prompt",
                    "prompt over 5000"
                ),
                (#"{"name": "\#(String(repeating: "👨‍👩‍👧", count: 50))", "length": 2}"#, "name", "50 emoji of 5 code points each"),
                (#"{"name": "a\u0000b", "length": 2}"#, "name", "a NUL character"),
                (#"{"name": "ok", "length": 2, "lyrics": "la\u0000"}"#, "lyrics", "a NUL in lyrics"),
            ]
            for (body, field, label) in cases {
                let reply = try await server.request(.post, "/api/scenes/\(scene)/clips", body: body)
                #expect(reply.status == 400, "\(label): \(reply.body)")
                #expect(reply.json?["error"]?["details"]?["fields"]?[field] != nil, "\(label): \(reply.body)")
            }
            #expect(try await server.request(.get, "/api/clips/not-a-uuid").errorCode == "INVALID_PARAMETER")
            #expect(try await server.request(.get, "/api/scenes/\(UUID())").errorCode == "SCENE_NOT_FOUND")
            #expect(
                try await server.request(.post, "/api/projects/\(UUID())/scenes", body: #"{"name": "x"}"#).errorCode == "PROJECT_NOT_FOUND")

            let other = try await server.createID("/api/projects", #"{"name": "Other"}"#)
            let stranger = try await server.createID("/api/projects/\(other)/characters", #"{"name": "Stranger"}"#)
            let crossProject = try await server.request(
                .post, "/api/scenes/\(scene)/clips", body: #"{"name": "c", "length": 2, "character_id": "\#(stranger)"}"#)
            #expect(crossProject.status == 400)
            #expect(crossProject.json?["error"]?["details"]?["fields"]?["character_id"] == "belongs to another project")
            #expect(try await server.json("/api/projects/\(project)/clips").items.isEmpty, "nothing was stored by the refused requests")
        }
    }

    @Test(
        "timeline: overlap is 409 with suggested_position, check_overlap=false allows it, the analysis flags gaps, overlaps and the song's end",
        arguments: TestEngine.available)
    func timeline(engine: TestEngine) async throws {
        try await withTestServer(engine) { server in
            let (project, scenes, clips) = try await server.makeProject(scenes: 1, clips: 3)
            // Clips at 0–2, 2–4, 4–6. Moving the first to 3 hits the second and the third.
            let moved = try await server.request(.put, "/api/clips/\(clips[0][0])/timeline", body: #"{"timeline_position": 3}"#)
            #expect(moved.status == 409)
            #expect(moved.errorCode == "CONFLICT")
            #expect(moved.json?["error"]?["details"]?["suggested_position"] == 6.1)
            let free = try await server.request(.put, "/api/clips/\(clips[0][0])/timeline", body: #"{"timeline_position": 6.1}"#)
            #expect(free.status == 200)
            #expect(free.json?["timeline_position"] == 6.1)
            // Touching is not overlapping.
            #expect(try await server.request(.put, "/api/clips/\(clips[0][0])/timeline", body: #"{"timeline_position": 6}"#).status == 200)
            let forced = try await server.request(
                .put, "/api/clips/\(clips[0][2])/timeline?check_overlap=false", body: #"{"timeline_position": 3, "length": 2}"#)
            #expect(forced.status == 200)
            let late = try await server.create("/api/scenes/\(scenes[0])/clips", #"{"name": "late", "length": 1, "timeline_position": 20}"#)

            let timeline = try await server.json("/api/projects/\(project)/timeline")
            #expect(timeline["total_clips"] == 4)
            #expect(timeline["total_duration"] == 7)
            #expect(timeline["timeline_end"] == 21)
            #expect(timeline["overlaps"]?.arrayValue?.count == 1)
            #expect(timeline["overlaps"]?.arrayValue?.first?["clip_id"] == .string(clips[0][1]))
            #expect(
                timeline["gaps"]?.arrayValue?.map { $0["start"] } == [5, 8],
                "5–6 and 8–20 (the second clip ends at 4, the moved third at 5)")
            #expect(timeline["has_issues"] == true)
            #expect(timeline["music_fit"] == "no_music")
            #expect(late["timeline_position"] == 20)
            // A clip without a position goes after the last one.
            #expect(try await server.create("/api/scenes/\(scenes[0])/clips", #"{"name": "next", "length": 1}"#)["timeline_position"] == 21)
        }
    }

    @Test(
        "alternates: numbering, names, copy_clips, promote swaps places; deleting a primary takes its alternates",
        arguments: TestEngine.available)
    func alternates(engine: TestEngine) async throws {
        try await withTestServer(engine) { server in
            let (project, scenes, clips) = try await server.makeProject(scenes: 2, clips: 2)
            #expect(
                try await server.upload(.post, "/api/clips/\(clips[1][0])/gallery", data: try MediaFixtures.data("still.png")).status == 201
            )
            let first = try await server.create("/api/scenes/\(scenes[1])/alternates?copy_clips=true", "{}")
            #expect(first["name"] == "Scene 1 A1")
            #expect(first["is_alternate"] == true)
            #expect(first["parent_scene_id"] == .string(scenes[1]))
            #expect(first["lyrics"] == "la la 1")
            let firstID = try #require(first["id"]?.stringValue)
            // An alternate of an alternate belongs to the same primary.
            let second = try await server.create("/api/scenes/\(firstID)/alternates", "{}")
            #expect(second["name"] == "Scene 1 A1 A2")
            #expect(second["parent_scene_id"] == .string(scenes[1]))
            let copied = try await server.json("/api/scenes/\(firstID)/clips").items
            #expect(copied.map { $0["name"] } == ["Clip 1.0", "Clip 1.1"])
            // The copy has its own gallery row for the same file, and it is selected.
            let copiedGallery = try await server.json("/api/clips/\(try #require(copied.first?["id"]?.stringValue))/gallery")
            let copiedImage = try #require(copiedGallery["generated_images"]?.arrayValue?.first)
            #expect(copiedGallery["selected_image_id"] == copiedImage["id"])
            #expect(copiedImage["id"] != (try await server.json("/api/clips/\(clips[1][0])/gallery"))["selected_image_id"])
            #expect(
                try await server.request(.get, try #require(copiedImage["url"]?.stringValue)).data == (try MediaFixtures.data("still.png")))
            #expect(try await server.json("/api/scenes/\(scenes[1])/alternates").items.count == 2)

            let promoted = try await server.request(.post, "/api/scenes/\(firstID)/promote")
            #expect(promoted.status == 200)
            #expect(promoted.json?["order"] == 1)
            #expect(promoted.json?["is_alternate"] == false)
            let primaries = try await server.json("/api/projects/\(project)/scenes")
            #expect(primaries.ids == [scenes[0], firstID])
            let former = try await server.json("/api/scenes/\(scenes[1])")
            #expect(former["is_alternate"] == true)
            #expect(former["parent_scene_id"] == .string(firstID))
            #expect(try await server.json("/api/scenes/\(firstID)/alternates").items.count == 2)
            #expect(try await server.request(.post, "/api/scenes/\(firstID)/promote").status == 409, "a primary cannot be promoted")

            // Clip alternates.
            let clipAlternate = try await server.create("/api/clips/\(clips[0][0])/alternates", "{}")
            #expect(clipAlternate["name"] == "Clip 0.0 A1")
            #expect(clipAlternate["length"] == 2)
            #expect(clipAlternate["generated_images"] == nil)
            let alternateID = try #require(clipAlternate["id"]?.stringValue)
            #expect(try await server.request(.post, "/api/clips/\(alternateID)/promote").status == 200)
            #expect(try await server.json("/api/scenes/\(scenes[0])/clips").ids == [alternateID, clips[0][1]])

            // Deleting the new primary takes both alternates with it.
            #expect(try await server.request(.delete, "/api/scenes/\(firstID)").status == 204)
            for id in [firstID, scenes[1], try #require(second["id"]?.stringValue)] {
                #expect(try await server.request(.get, "/api/scenes/\(id)").status == 404)
            }
        }
    }

    @Test(
        "move between scenes of one project keeps project_id and orders right; another project's scene is 400",
        arguments: TestEngine.available)
    func move(engine: TestEngine) async throws {
        try await withTestServer(engine) { server in
            let (project, scenes, clips) = try await server.makeProject(scenes: 2, clips: 3)
            let moved = try await server.request(
                .post, "/api/clips/\(clips[0][1])/move", body: #"{"scene_id": "\#(scenes[1])", "order": 0}"#)
            #expect(moved.status == 200)
            #expect(moved.json?["scene_id"] == .string(scenes[1]))
            #expect(moved.json?["project_id"] == .string(project))
            #expect(try await server.json("/api/scenes/\(scenes[0])/clips").items.map { $0["order"] } == [0, 1])
            #expect(try await server.json("/api/scenes/\(scenes[1])/clips").ids == [clips[0][1]] + clips[1])

            let other = try await server.makeProject(name: "Other", scenes: 1, clips: 0)
            let refused = try await server.request(.post, "/api/clips/\(clips[0][0])/move", body: #"{"scene_id": "\#(other.scenes[0])"}"#)
            #expect(refused.status == 400)
            #expect(refused.json?["error"]?["details"]?["fields"]?["scene_id"] == "belongs to another project")
        }
    }

    @Test("If-Match while a job attaches to the clip: the job's change counts, the stale edit is 412", arguments: TestEngine.available)
    func ifMatchBesideFinishingJob(engine: TestEngine) async throws {
        try await withTestServer(engine) { server in
            let (_, _, clips) = try await server.makeProject(scenes: 1, clips: 1)
            let clip = clips[0][0]
            let id = try #require(UUID(uuidString: clip))
            // A finishing job changes its clip (the selection) under the clip's lock alone (JobResults).
            let finishing = server.database.finishingJob(on: id) { tx in
                _ = try await tx.clips.updateOne(.equals("id", DatabaseValue(id)), Changes(["name": .text("changed by a job")]))
            }
            try await Task.sleep(for: .milliseconds(150))
            let stale = try await server.request(
                .patch, "/api/clips/\(clip)", headers: ["If-Match": "\"1\""], body: #"{"name": "an edit"}"#)
            try await finishing.value
            #expect(stale.status == 412, "the edit was checked against the clip as it was before the job: \(stale.body)")
            #expect(try await server.json("/api/clips/\(clip)")["name"] == "changed by a job")
        }
    }

    @Test("prompts and PATCH honour If-Match; a stale edit is 412 and loses nothing", arguments: TestEngine.available)
    func optimisticConcurrency(engine: TestEngine) async throws {
        try await withTestServer(engine) { server in
            let (_, _, clips) = try await server.makeProject(scenes: 1, clips: 1)
            let clip = clips[0][0]
            let first = try await server.request(
                .put, "/api/clips/\(clip)/prompts", headers: ["If-Match": "\"1\""], body: #"{"image_prompt": "neon city"}"#)
            #expect(first.status == 200)
            #expect(first.header("ETag") == "\"2\"")
            let stale = try await server.request(
                .put, "/api/clips/\(clip)/prompts", headers: ["If-Match": "\"1\""], body: #"{"image_prompt": "lost"}"#)
            #expect(stale.status == 412)
            #expect(stale.json?["error"]?["details"]?["current_version"] == 2)
            let staleTiming = try await server.request(
                .put, "/api/clips/\(clip)/timeline", headers: ["If-Match": "\"1\""], body: #"{"timeline_position": 50}"#)
            #expect(staleTiming.status == 412)
            let current = try await server.json("/api/clips/\(clip)")
            #expect(current["image_prompt"] == "neon city")
            #expect(current["timeline_position"] == 0)

            // Ten writers with the same If-Match: exactly one wins, the others learn it.
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<10 {
                    group.addTask {
                        try await server.request(
                            .patch, "/api/clips/\(clip)", headers: ["If-Match": "\"2\""], body: #"{"name": "writer \#(index)"}"#
                        ).status
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 200 }.count == 1)
            #expect(statuses.filter { $0 == 412 }.count == 9)
            #expect(try await server.json("/api/clips/\(clip)")["version"] == 3)
        }
    }

    @Test("50 concurrent reorders and inserts: every order unique and dense, no clip lost", arguments: TestEngine.available)
    func concurrentOrdering(engine: TestEngine) async throws {
        try await withTestServer(engine) { server in
            let (_, scenes, clips) = try await server.makeProject(scenes: 1, clips: 10)
            let scene = scenes[0]
            let created = try await withThrowingTaskGroup(of: String?.self) { group in
                for index in 0..<50 {
                    group.addTask {
                        if index % 2 == 0 {
                            let reply = try await server.request(
                                .post, "/api/scenes/\(scene)/clips?check_overlap=false",
                                body: #"{"name": "new \#(index)", "length": 1, "timeline_position": 500, "order": \#(index % 7)}"#
                            )
                            return reply.status == 201 ? reply.json?["id"]?.stringValue : "failed \(reply.status) \(reply.body)"
                        }
                        // A reorder against a snapshot that other requests are changing: either it
                        // names exactly the current clips (200) or it is refused (400), never half-applied.
                        let current = try await server.json("/api/scenes/\(scene)/clips?limit=500").ids.shuffled()
                        let body = "{\"clip_ids\": [\(current.map { "\"\($0)\"" }.joined(separator: ","))]}"
                        let reply = try await server.request(.post, "/api/scenes/\(scene)/clips/reorder", body: body)
                        return reply.status == 200 || reply.status == 400 ? nil : "failed \(reply.status) \(reply.body)"
                    }
                }
                return try await group.reduce(into: [String]()) { if let id = $1 { $0.append(id) } }
            }
            #expect(created.allSatisfy { !$0.hasPrefix("failed") }, "\(created.filter { $0.hasPrefix("failed") })")
            let final = try await server.json("/api/scenes/\(scene)/clips?limit=500").items
            #expect(final.count == 35)
            #expect(final.map { $0["order"] } == (0..<35).map { .number(Double($0)) })
            #expect(Set(final.compactMap { $0["id"]?.stringValue }) == Set(clips[0] + created))
        }
    }
}
