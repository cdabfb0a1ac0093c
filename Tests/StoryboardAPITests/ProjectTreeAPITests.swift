import Foundation
import StoryboardAPI
import StoryboardCore
import StoryboardTestSupport
import Testing

@Suite("Project tree API", .timeLimit(.minutes(2)))
struct ProjectTreeAPITests {
    /// Statements the server runs for one request.
    static func statements(_ server: TestServer, _ path: String) async throws -> (Int, TestServer.Reply) {
        let before = server.database.statements.count
        let reply = try await server.request(.get, path)
        return (server.database.statements.count - before, reply)
    }

    @Test(
        "include=scenes.clips: the whole tree in order, with the same number of statements whatever its size",
        arguments: TestEngine.available)
    func fixedQueryCount(engine: TestEngine) async throws {
        try await withTestServer(engine) { server in
            let small = try await server.makeProject(name: "Small", scenes: 1, clips: 1)
            let (smallCount, smallReply) = try await Self.statements(server, "/api/projects/\(small.project)?include=scenes.clips")
            #expect(smallReply.status == 200)

            let big = try await server.makeProject(name: "Big", scenes: 4, clips: 5)
            _ = try await server.create("/api/scenes/\(big.scenes[1])/alternates?copy_clips=true", "{}")
            _ = try await server.create("/api/clips/\(big.clips[2][0])/alternates", "{}")
            for clip in big.clips.flatMap({ $0 }).prefix(6) {
                #expect(
                    try await server.upload(.post, "/api/clips/\(clip)/gallery", data: try MediaFixtures.data("still.png")).status == 201)
            }
            let (bigCount, bigReply) = try await Self.statements(server, "/api/projects/\(big.project)?include=scenes.clips")
            #expect(bigCount == smallCount, "no statement per scene or clip (\(smallCount) vs \(bigCount))")
            #expect(bigCount <= 6)

            let tree = try #require(bigReply.json)
            let scenes = tree["scenes"]?.arrayValue ?? []
            #expect(scenes.compactMap { $0["id"]?.stringValue } == big.scenes)
            #expect(scenes.map { $0["clips"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? [] } == big.clips)
            #expect(scenes[1]["alternates"]?.arrayValue?.first?["clips"]?.arrayValue?.count == 5)
            #expect(scenes[2]["clips"]?.arrayValue?.first?["alternates"]?.arrayValue?.count == 1)
            #expect(scenes[0]["clips"]?.arrayValue?.first?["generated_images"]?.arrayValue?.first?["is_selected"] == true)

            let (listCount, list) = try await Self.statements(server, "/api/projects?include=scenes.clips")
            #expect(list.json?.items.count == 2)
            #expect(listCount <= 6, "a page of trees is one statement per table too (\(listCount))")
            let scenesOnly = try await server.json("/api/projects/\(big.project)?include=scenes")
            #expect(scenesOnly["scenes"]?.arrayValue?.first?["clips"] == nil)
            #expect(try await server.request(.get, "/api/projects/\(big.project)?include=everything").errorCode == "INVALID_PARAMETER")
        }
    }

    @Test("the tree's ETag: 304 while nothing changed, a new tag after any change below, purge included", arguments: TestEngine.available)
    func conditionalGet(engine: TestEngine) async throws {
        try await withTestServer(engine) { server in
            let (project, _, clips) = try await server.makeProject(scenes: 2, clips: 2)
            // On PostgreSQL the server follows project changes (LISTEN) and keeps stamps in memory.
            let deadline = ContinuousClock.now + .seconds(10)
            while engine == .postgresql, !server.database.isFollowingTreeChanges, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            let path = "/api/projects/\(project)?include=scenes.clips"
            let first = try await server.request(.get, path)
            let tag = try #require(first.header("ETag"))
            let before = server.database.statements.count
            let cached = try await server.request(.get, path, headers: ["If-None-Match": tag])
            #expect(cached.status == 304)
            #expect(cached.body.isEmpty)
            #expect(
                server.database.statements.count - before == (engine == .postgresql ? 0 : 1),
                "a 304 costs one primary-key read on SQLite, none on PostgreSQL once the stamp is in memory"
            )

            var tags: Set<String> = [tag]
            func expectNewTag(_ label: String) async throws {
                let reply = try await server.request(.get, path, headers: ["If-None-Match": tags.joined(separator: ", ")])
                #expect(reply.status == 200, "\(label)")
                if let newTag = reply.header("ETag") {
                    #expect(!tags.contains(newTag), "\(label)")
                    tags.insert(newTag)
                }
            }
            _ = try await server.request(.put, "/api/clips/\(clips[0][0])/prompts", body: #"{"image_prompt": "x"}"#)
            try await expectNewTag("prompt edit")
            #expect(
                try await server.upload(.post, "/api/clips/\(clips[1][1])/gallery", data: try MediaFixtures.data("still.png")).status == 201
            )
            try await expectNewTag("gallery upload")
            let image =
                try await server.json("/api/clips/\(clips[1][1])/gallery")["generated_images"]?.arrayValue?.first?["id"]?.stringValue ?? ""
            #expect(try await server.request(.delete, "/api/clips/\(clips[1][1])/gallery/\(image)").status == 204)
            try await expectNewTag("gallery item trashed")
            #expect(try await server.request(.post, "/api/trash/gallery_item/\(image)/restore").status == 204)
            try await expectNewTag("gallery item restored")
            #expect(try await server.request(.delete, "/api/clips/\(clips[1][0])").status == 204)
            try await expectNewTag("clip delete")
            #expect(try await server.request(.delete, "/api/trash/clip/\(clips[1][0])").status == 204)
            try await expectNewTag("purge")
        }
    }
}
