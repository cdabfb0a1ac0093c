import Foundation
import StoryboardAPI
import StoryboardCore
import StoryboardTestSupport
import Testing

@Suite("Characters, style templates and versions API", .timeLimit(.minutes(4)))
struct CharacterTemplateAPITests {
    @Test(
        "apply a character: prefixes both prompts once, however often; switching replaces; other projects' clips are 400",
        arguments: TestEngine.available)
    func applyCharacter(engine: TestEngine) async throws {
        try await withTestServer(engine) { server in
            let (project, _, clips) = try await server.makeProject(scenes: 1, clips: 1)
            let clip = clips[0][0]
            _ = try await server.request(
                .put, "/api/clips/\(clip)/prompts", body: #"{"image_prompt": "walking in rain", "video_prompt": "slow pan"}"#)
            let mira = try await server.createID(
                "/api/projects/\(project)/characters",
                #"{"name": "Mira", "description": "a red-haired pilot", "trigger_words": ["mira_tw", "pilot"], "style_notes": "anime", "lora": "mira_v2"}"#
            )
            var applied = try await server.request(.post, "/api/characters/\(mira)/apply", body: #"{"clip_id": "\#(clip)"}"#)
            #expect(applied.status == 200)
            let expected = "mira_tw pilot Mira, a red-haired pilot. Style: anime walking in rain"
            #expect(applied.json?["image_prompt"] == .string(expected))
            #expect(applied.json?["video_prompt"] == "mira_tw pilot Mira, a red-haired pilot. Style: anime slow pan")
            #expect(applied.json?["character_id"] == .string(mira))
            applied = try await server.request(.post, "/api/characters/\(mira)/apply", body: #"{"clip_id": "\#(clip)"}"#)
            #expect(applied.json?["image_prompt"] == .string(expected), "applied twice, prefixed once")

            let juno = try await server.createID("/api/projects/\(project)/characters", #"{"name": "Juno"}"#)
            applied = try await server.request(.post, "/api/characters/\(juno)/apply", body: #"{"clip_id": "\#(clip)"}"#)
            #expect(applied.json?["image_prompt"] == "Juno walking in rain")
            #expect(try await server.json("/api/projects/\(project)/clips?character_id=\(juno)").ids == [clip])

            let duplicate = try await server.request(.post, "/api/projects/\(project)/characters", body: #"{"name": "Juno"}"#)
            #expect(duplicate.status == 409)
            #expect(duplicate.errorCode == "DUPLICATE_RESOURCE")
            #expect(try await server.request(.delete, "/api/characters/\(juno)").status == 204)
            #expect(
                try await server.request(.post, "/api/projects/\(project)/characters", body: #"{"name": "Juno"}"#).status == 201,
                "a trashed name is free again")

            let other = try await server.makeProject(name: "Other", scenes: 1, clips: 1)
            let cross = try await server.request(.post, "/api/characters/\(mira)/apply", body: #"{"clip_id": "\#(other.clips[0][0])"}"#)
            #expect(cross.status == 400)
            #expect(cross.json?["error"]?["details"]?["fields"]?["clip_id"] == "belongs to another project")
            let tooMany = try await server.request(
                .post, "/api/projects/\(project)/characters",
                body: #"{"name": "Long", "trigger_words": ["\#(String(repeating: "w", count: 501))"]}"#
            )
            #expect(tooMany.json?["error"]?["details"]?["fields"]?["trigger_words"] != nil)
            #expect(
                try await server.request(.post, "/api/projects/\(project)/characters", body: #"{"name": "X", "trigger_words": "a"}"#).status
                    == 400)
        }
    }

    @Test(
        "style templates: placeholders rendered, use_count +1 atomically under 100 concurrent applies, listing by use",
        arguments: TestEngine.available)
    func styleTemplates(engine: TestEngine) async throws {
        // 100 applies queue on one project lock and 10 connections: on a loaded test machine the
        // last one waits longer than the default 10 s pool wait, 30 s statement limit and 30 s
        // client read timeout (CI once saw 47 s). The test is about atomicity, not latency.
        try await withTestServer(
            engine,
            configure: {
                $0.connectTimeout = 120
                $0.statementTimeout = 0
            }
        ) { base in
            let server = base.requestTimeout(.seconds(100))
            let (project, _, clips) = try await server.makeProject(scenes: 1, clips: 1)
            let clip = clips[0][0]
            _ = try await server.request(.put, "/api/clips/\(clip)/prompts", body: #"{"image_prompt": "a car", "video_prompt": "drive"}"#)
            let mira = try await server.createID("/api/projects/\(project)/characters", #"{"name": "Mira"}"#)
            _ = try await server.request(.patch, "/api/clips/\(clip)", body: #"{"character_id": "\#(mira)"}"#)
            let global = try await server.createID(
                "/api/style-templates",
                #"{"name": "Noir", "prompt_template": "{prompt}, {character}, film noir, lyrics: {lyrics}", "default_params": {"steps": 30}}"#
            )
            let local = try await server.create(
                "/api/style-templates", #"{"name": "Local", "project_id": "\#(project)", "prompt_template": "{prompt} in pastel"}"#)
            #expect(local["is_global"] == false)
            let applied = try await server.request(.post, "/api/style-templates/\(global)/apply", body: #"{"clip_id": "\#(clip)"}"#)
            #expect(applied.status == 200)
            #expect(applied.json?["image_prompt"] == "a car, Mira, film noir, lyrics: la la 0")
            #expect(applied.json?["style_template_id"] == .string(global))

            let otherProject = try await server.makeProject(name: "Other", scenes: 1, clips: 1)
            let localID = try #require(local["id"]?.stringValue)
            #expect(
                try await server.request(
                    .post, "/api/style-templates/\(localID)/apply", body: #"{"clip_id": "\#(otherProject.clips[0][0])"}"#
                ).status == 400)

            try await withThrowingTaskGroup(of: TestServer.Reply.self) { group in
                for _ in 0..<100 {
                    group.addTask {
                        try await server.request(.post, "/api/style-templates/\(localID)/apply", body: #"{"clip_id": "\#(clip)"}"#)
                    }
                }
                for try await reply in group { #expect(reply.status == 200, "\(reply.body)") }
            }
            #expect(try await server.json("/api/style-templates/\(localID)")["use_count"] == 100)
            let listed = try await server.json("/api/style-templates?project_id=\(project)&include_global=true")
            #expect(listed.ids == [localID, global], "most used first")
            #expect(try await server.json("/api/style-templates").ids == [global])
            #expect(try await server.json("/api/style-templates?project_id=\(project)").ids == [localID])
            #expect(
                try await server.request(.post, "/api/style-templates", body: #"{"name": "Bad", "prompt_template": " "}"#).status == 400)
            #expect(
                try await server.request(
                    .post, "/api/style-templates", body: #"{"name": "Bad", "prompt_template": "x", "default_params": [1]}"#
                ).status == 400)
            #expect(
                try await server.request(.post, "/api/style-templates", body: #"{"name": "Noir", "prompt_template": "x"}"#).errorCode
                    == "DUPLICATE_RESOURCE")
            #expect(try await server.request(.get, "/api/style-templates?project_id=nope").errorCode == "INVALID_PARAMETER")
        }
    }

    @Test("versions: a snapshot of prompts, selection and timing; activate brings it back", arguments: TestEngine.available)
    func versions(engine: TestEngine) async throws {
        try await withTestServer(engine) { server in
            let (_, _, clips) = try await server.makeProject(scenes: 1, clips: 1)
            let clip = clips[0][0]
            _ = try await server.request(.put, "/api/clips/\(clip)/prompts", body: #"{"image_prompt": "first idea"}"#)
            let first = try await server.create("/api/clips/\(clip)/versions", #"{"generation_params": {"seed": 7}}"#)
            #expect(first["number"] == 1)
            #expect(first["generation_params"]?["seed"] == 7)
            _ = try await server.request(.put, "/api/clips/\(clip)/prompts", body: #"{"image_prompt": "second idea"}"#)
            _ = try await server.request(.put, "/api/clips/\(clip)/timeline", body: #"{"timeline_position": 30, "length": 5}"#)
            #expect(try await server.create("/api/clips/\(clip)/versions", "{}")["number"] == 2)
            #expect(try await server.json("/api/clips/\(clip)")["active_version"] == 2)

            let activated = try await server.request(.post, "/api/clips/\(clip)/versions/1/activate")
            #expect(activated.status == 200)
            #expect(activated.json?["image_prompt"] == "first idea")
            #expect(activated.json?["timeline_position"] == 0)
            #expect(activated.json?["active_version"] == 1)
            #expect(try await server.json("/api/clips/\(clip)/versions").items.count == 2)
            #expect(try await server.request(.post, "/api/clips/\(clip)/versions/9/activate").status == 404)
            #expect(try await server.request(.post, "/api/clips/\(clip)/versions/x/activate").errorCode == "INVALID_PARAMETER")
        }
    }
}
