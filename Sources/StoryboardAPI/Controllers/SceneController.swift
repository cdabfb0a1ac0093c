import Foundation
import Hummingbird
import StoryboardCore
import StoryboardServices

/// Scenes of a project: list, create, read, change, order, alternates, trash and restore.
struct SceneController {
    let service: SceneService
    let trash: TrashService
    let maxBodyBytes: Int

    func register(_ routes: Routes) {
        routes.add(.get, "/api/projects/{id}/scenes") { request, context in try await list(request, context) }
        routes.add(.post, "/api/projects/{id}/scenes") { request, context in try await create(request, context) }
        routes.add(.post, "/api/projects/{id}/scenes/reorder") { request, context in try await reorder(request, context) }
        routes.add(.get, "/api/scenes/{id}") { request, context in
            try respond(try await service.get(id: try context.uuidParameter(), includeDeleted: try request.flag("include_deleted")))
        }
        routes.add(.patch, "/api/scenes/{id}") { request, context in try await update(request, context) }
        routes.addTrashRoutes("/api/scenes/{id}", kind: .scene, trash: trash) { id in try respond(try await service.get(id: id)) }
        routes.add(.get, "/api/scenes/{id}/alternates") { _, context in
            let alternates = try await service.alternates(of: try context.uuidParameter())
            var writer = JSONWriter()
            writer.list(alternates, nextCursor: nil) { $0.scene($1) }
            return writer.response()
        }
        routes.add(.post, "/api/scenes/{id}/alternates") { request, context in
            let id = try context.uuidParameter()
            var body = try await JSONBody.read(request, limit: maxBodyBytes)
            body.allowOnly(["name"])
            let name = body.string("name")
            try body.throwIfInvalid()
            let scene = try await service.createAlternate(of: id, name: name, copyClips: try request.flag("copy_clips"))
            return try respond(scene, status: .created)
        }
        routes.add(.post, "/api/scenes/{id}/promote") { _, context in
            try respond(try await service.promote(try context.uuidParameter()))
        }
    }

    func respond(_ scene: Scene, status: HTTPResponse.Status = .ok) throws -> Response {
        var writer = JSONWriter()
        writer.scene(scene)
        var headers: HTTPFields = [.eTag: etag(scene.meta.version)]
        if status == .created { headers[.location] = "/api/scenes/\(scene.meta.id.uuidString.lowercased())" }
        return writer.response(status: status, headers: headers)
    }

    func list(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let page = try await service.list(
            projectID: try context.uuidParameter(), limit: try request.pageLimit(), cursor: request.query("cursor"),
            includeDeleted: try request.flag("include_deleted")
        )
        var writer = JSONWriter()
        writer.list(page.items, nextCursor: page.nextCursor) { $0.scene($1) }
        return writer.response()
    }

    func create(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let projectID = try context.uuidParameter()
        var body = try await JSONBody.read(request, limit: maxBodyBytes)
        body.allowOnly(["name", "description", "lyrics", "order"])
        let input = SceneInput(
            name: body.string("name", required: true) ?? "", description: body.string("description", nullable: true),
            lyrics: body.string("lyrics", nullable: true), order: body.int("order")
        )
        try body.throwIfInvalid()
        return try respond(try await service.create(projectID: projectID, input), status: .created)
    }

    func update(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let id = try context.uuidParameter()
        let expected = try request.expectedVersion()
        var body = try await JSONBody.read(request, limit: maxBodyBytes)
        body.allowOnly(["name", "description", "lyrics", "order"])
        let patch = ScenePatch(
            name: body.string("name"), description: body.optionalString("description"), lyrics: body.optionalString("lyrics"),
            order: body.int("order"))
        try body.throwIfInvalid()
        return try respond(try await service.update(id: id, patch, expectedVersion: expected))
    }

    func reorder(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let projectID = try context.uuidParameter()
        var body = try await JSONBody.read(request, limit: maxBodyBytes)
        body.allowOnly(["scene_ids"])
        let ids = body.uuidList("scene_ids", required: true)
        try body.throwIfInvalid()
        let scenes = try await service.reorder(projectID: projectID, ids: ids ?? [])
        var writer = JSONWriter()
        writer.list(scenes, nextCursor: nil) { $0.scene($1) }
        return writer.response()
    }
}
