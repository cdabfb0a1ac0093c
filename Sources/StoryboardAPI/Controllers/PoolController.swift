import Foundation
import Hummingbird
import StoryboardCore
import StoryboardServices

/// A project's generation pool: media not (yet) placed on a clip. Uploads are decided from
/// their bytes like every other upload; `apply` copies an item into a clip's gallery.
struct PoolController {
    let service: PoolService
    let trash: TrashService
    let maxBodyBytes: Int

    func register(_ routes: Routes) {
        routes.add(.get, "/api/projects/{id}/pool") { request, context in
            let projectID = try context.uuidParameter()
            var query = PoolQuery(includeDeleted: try request.flag("include_deleted"))
            if let text = request.query("content_type") {
                guard let kind = MediaKind(rawValue: text) else {
                    throw AppError.invalidParameter("content_type", "must be image or video")
                }
                query.contentType = kind
            }
            if let text = request.query("source_type") {
                guard let source = PoolSource(rawValue: text) else {
                    throw AppError.invalidParameter(
                        "source_type", "must be one of \(PoolSource.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                query.sourceType = source
            }
            let page = try await service.list(projectID: projectID, query, limit: try request.pageLimit(), cursor: request.query("cursor"))
            var writer = JSONWriter(capacity: 512 * max(page.items.count, 1))
            writer.list(page.items, nextCursor: page.nextCursor) { $0.poolItem($1) }
            return writer.response()
        }
        // The body is the file itself (a still or a video); name, description and tags ride in the query.
        routes.add(.post, "/api/projects/{id}/pool", rawBody: true) { request, context in
            let projectID = try context.uuidParameter()
            let tags = request.query("tags").map { $0.split(separator: ",").map(String.init) } ?? []
            let name = request.query("name")
            let description = request.query("description")
            let item = try await service.upload(
                projectID: projectID, request.body.map { Array(buffer: $0) }, declaredLength: request.declaredLength, name: name,
                description: description, tags: tags)
            return try respond(item, status: .created)
        }
        routes.add(.get, "/api/pool/{id}") { request, context in
            try respond(try await service.get(id: try context.uuidParameter(), includeDeleted: try request.flag("include_deleted")))
        }
        routes.add(.patch, "/api/pool/{id}") { request, context in
            let id = try context.uuidParameter()
            let expected = try request.expectedVersion()
            var body = try await JSONBody.read(request, limit: maxBodyBytes)
            body.allowOnly(["name", "description", "tags", "metadata"])
            let patch = PoolItemPatch(
                name: body.string("name"), description: body.optionalString("description"), tags: body.stringList("tags"),
                metadata: body.value("metadata")
            )
            try body.throwIfInvalid()
            return try respond(try await service.update(id: id, patch, expectedVersion: expected))
        }
        routes.addTrashRoutes("/api/pool/{id}", kind: .poolItem, trash: trash) { id in try respond(try await service.get(id: id)) }
        routes.add(.post, "/api/pool/{id}/apply") { request, context in
            let id = try context.uuidParameter()
            let clipID = try await JSONBody.clipID(request, limit: maxBodyBytes)
            let applied = try await service.apply(itemID: id, toClip: clipID)
            var writer = JSONWriter()
            writer.galleryItem(applied.item, isSelected: applied.selected)
            return writer.response(status: .created, headers: [.location: "/api/media/\(applied.item.meta.id.uuidString.lowercased())"])
        }
    }

    func respond(_ item: PoolItem, status: HTTPResponse.Status = .ok) throws -> Response {
        var writer = JSONWriter()
        writer.poolItem(item)
        var headers: HTTPFields = [.eTag: etag(item.meta.version)]
        if status == .created { headers[.location] = "/api/pool/\(item.meta.id.uuidString.lowercased())" }
        return writer.response(status: status, headers: headers)
    }
}

extension JSONWriter {
    mutating func poolItem(_ item: PoolItem) {
        beginObject()
        key("id")
        uuid(item.meta.id)
        key("project_id")
        uuid(item.projectID)
        key("name")
        string(item.name)
        key("description")
        string(item.description)
        key("content_type")
        string(item.contentType.rawValue)
        key("source_type")
        string(item.sourceType.rawValue)
        key("source_clip_id")
        uuid(item.sourceClipID)
        key("media_url")
        string("/api/media/\(item.meta.id.uuidString.lowercased())")
        // No thumbnails are made yet; a client shows the full image.
        key("thumbnail_url")
        null()
        key("generation_params")
        rawJSON(item.generationParams)
        key("tags")
        beginArray()
        for tag in item.tags { string(tag) }
        endArray()
        key("metadata")
        rawJSON(item.metadata)
        key("job_id")
        uuid(item.jobID)
        metadata(item.meta)
        endObject()
    }
}
