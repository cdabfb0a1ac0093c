import Foundation
import HTTPTypes
import Hummingbird
import StoryboardCore
import StoryboardDatabase
import StoryboardServices

/// Projects: list, create, read, rename, trash and restore.
struct ProjectController {
    let service: ProjectService
    let maxBodyBytes: Int

    func register(_ routes: Routes) {
        routes.add(.get, "/api/projects") { request, _ in try await list(request) }
        routes.add(.post, "/api/projects") { request, _ in try await create(request) }
        routes.add(.get, "/api/projects/{id}") { request, context in try await get(request, context) }
        routes.add(.patch, "/api/projects/{id}") { request, context in try await update(request, context) }
        routes.add(.delete, "/api/projects/{id}") { request, context in try await delete(request, context) }
        routes.add(.post, "/api/projects/{id}/restore") { _, context in try await restore(context) }
    }

    func list(_ request: Request) async throws -> Response {
        let page = try await service.list(
            nameContains: request.query("q"), limit: try request.pageLimit(), cursor: request.query("cursor"),
            includeDeleted: try request.flag("include_deleted")
        )
        return try JSONResponse.make(ListResponse(items: page.items.map(ProjectResponse.init), nextCursor: page.nextCursor))
    }

    func create(_ request: Request) async throws -> Response {
        var body = try await JSONBody.read(request, limit: maxBodyBytes)
        body.allowOnly(["name", "description"])
        let name = body.string("name", required: true)
        let description = body.string("description", nullable: true)
        try body.throwIfInvalid()
        let project = try await service.create(name: name ?? "", description: description)
        let id = project.meta.id.uuidString.lowercased()
        return try JSONResponse.make(
            ProjectResponse(project), status: .created,
            headers: [.location: "/api/projects/\(id)", .eTag: etag(project.meta.version)]
        )
    }

    func get(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let project = try await service.get(id: try context.uuidParameter(), includeDeleted: try request.flag("include_deleted"))
        return try JSONResponse.make(ProjectResponse(project), headers: [.eTag: etag(project.meta.version)])
    }

    func update(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let id = try context.uuidParameter()
        let expected = try request.expectedVersion()
        var body = try await JSONBody.read(request, limit: maxBodyBytes)
        body.allowOnly(["name", "description"])
        let patch = ProjectPatch(name: body.string("name"), description: body.optionalString("description"))
        try body.throwIfInvalid()
        let project = try await service.update(id: id, patch, expectedVersion: expected)
        return try JSONResponse.make(ProjectResponse(project), headers: [.eTag: etag(project.meta.version)])
    }

    func delete(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        try await service.delete(id: try context.uuidParameter(), expectedVersion: try request.expectedVersion())
        return Response(status: .noContent)
    }

    func restore(_ context: AppRequestContext) async throws -> Response {
        let project = try await service.restore(id: try context.uuidParameter())
        return try JSONResponse.make(ProjectResponse(project), headers: [.eTag: etag(project.meta.version)])
    }
}

struct ListResponse<Item: Encodable>: Encodable {
    var items: [Item]
    var nextCursor: String?

    enum CodingKeys: String, CodingKey {
        case items
        case nextCursor = "next_cursor"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(items, forKey: .items)
        try container.encode(nextCursor, forKey: .nextCursor)
    }
}

/// A project as clients see it (field names as the audit has them).
struct ProjectResponse: Encodable {
    let project: Project

    init(_ project: Project) { self.project = project }

    enum CodingKeys: String, CodingKey {
        case id, name, description, version
        case musicFilePath = "music_file_path"
        case musicDuration = "music_duration"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case deletedAt = "deleted_at"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(project.meta.id.uuidString.lowercased(), forKey: .id)
        try container.encode(project.name, forKey: .name)
        try container.encode(project.description, forKey: .description)
        try container.encode(project.musicFilePath, forKey: .musicFilePath)
        try container.encode(project.musicDuration, forKey: .musicDuration)
        try container.encode(project.meta.createdAt, forKey: .createdAt)
        try container.encode(project.meta.updatedAt, forKey: .updatedAt)
        try container.encode(project.meta.version, forKey: .version)
        try container.encode(project.meta.deletedAt, forKey: .deletedAt)
    }
}
