import Foundation
import Hummingbird
import StoryboardAPI
import StoryboardCore
import StoryboardDatabase
import StoryboardTestSupport

func buildTestRouter(_ test: TestDatabase) -> Router<AppRequestContext> {
    buildRouter(configuration: test.configuration, database: test.database, metrics: AppMetrics())
}

struct UnexpectedReply: Error, CustomStringConvertible {
    let description: String
}

extension APIClient {
    /// POSTs `body` and insists on 201; the created resource.
    @discardableResult
    func create(_ path: String, _ body: String) async throws -> JSONValue {
        let reply = try await request(.post, path, body: body)
        guard reply.status == 201, let json = reply.json else {
            throw UnexpectedReply(description: "POST \(path) answered \(reply.status): \(reply.body)")
        }
        return json
    }

    /// The `id` of a newly created resource.
    func createID(_ path: String, _ body: String) async throws -> String {
        guard let id = try await create(path, body)["id"]?.stringValue else { throw UnexpectedReply(description: "no id from \(path)") }
        return id
    }

    /// GET that must answer 200; its JSON.
    func json(_ path: String) async throws -> JSONValue {
        let reply = try await request(.get, path)
        guard reply.status == 200, let json = reply.json else {
            throw UnexpectedReply(description: "GET \(path) answered \(reply.status): \(reply.body)")
        }
        return json
    }

    /// A project with `scenes` scenes of `clips` clips each, laid end to end (2 s per clip).
    func makeProject(name: String = "Song", scenes: Int, clips: Int) async throws -> (project: String, scenes: [String], clips: [[String]])
    {
        let project = try await createID("/api/projects", #"{"name": "\#(name)"}"#)
        var sceneIDs: [String] = []
        var clipIDs: [[String]] = []
        var position = 0.0
        for s in 0..<scenes {
            let scene = try await createID("/api/projects/\(project)/scenes", #"{"name": "Scene \#(s)", "lyrics": "la la \#(s)"}"#)
            sceneIDs.append(scene)
            var ids: [String] = []
            for c in 0..<clips {
                ids.append(
                    try await createID(
                        "/api/scenes/\(scene)/clips", #"{"name": "Clip \#(s).\#(c)", "length": 2, "timeline_position": \#(position)}"#))
                position += 2
            }
            clipIDs.append(ids)
        }
        return (project, sceneIDs, clipIDs)
    }
}

extension JSONValue {
    var items: [JSONValue] { self["items"]?.arrayValue ?? [] }
    var ids: [String] { items.compactMap { $0["id"]?.stringValue } }
}

extension Database {
    /// What a finishing job does to its clip (`JobResults`): the clip's row locked first, then,
    /// a moment later, `finish` in the same transaction. Started now; the test makes its
    /// competing request meanwhile.
    func finishingJob(
        on clip: UUID, holding: Duration = .milliseconds(600), _ finish: @escaping @Sendable (Transaction) async throws -> Void
    ) -> Task<Void, any Error> {
        Task {
            try await transaction { tx in
                _ = try await tx.clips.find(id: clip, forUpdate: true)
                try await Task.sleep(for: holding)
                try await finish(tx)
            }
        }
    }
}
