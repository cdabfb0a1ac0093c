import Foundation
import Hummingbird
import StoryboardCore
import StoryboardServices

/// Characters of a project, their reference images, and applying them to clips.
struct CharacterController {
    let service: CharacterService
    let trash: TrashService
    let maxBodyBytes: Int

    static let fields: Set<String> = ["name", "description", "lora", "trigger_words", "style_notes"]

    func register(_ routes: Routes) {
        routes.add(.get, "/api/projects/{id}/characters") { request, context in
            let page = try await service.list(
                projectID: try context.uuidParameter(), limit: try request.pageLimit(), cursor: request.query("cursor"),
                includeDeleted: try request.flag("include_deleted")
            )
            var writer = JSONWriter()
            writer.list(page.items, nextCursor: page.nextCursor) { $0.character($1) }
            return writer.response()
        }
        routes.add(.post, "/api/projects/{id}/characters") { request, context in
            let projectID = try context.uuidParameter()
            var body = try await JSONBody.read(request, limit: maxBodyBytes)
            body.allowOnly(Self.fields)
            let input = CharacterInput(
                name: body.string("name", required: true) ?? "", description: body.string("description", nullable: true),
                lora: body.string("lora", nullable: true), triggerWords: body.stringList("trigger_words") ?? [],
                styleNotes: body.string("style_notes", nullable: true)
            )
            try body.throwIfInvalid()
            return try respond(try await service.create(projectID: projectID, input), status: .created)
        }
        routes.add(.get, "/api/characters/{id}") { request, context in
            let id = try context.uuidParameter()
            let character = try await service.get(id: id, includeDeleted: try request.flag("include_deleted"))
            return try respond(character, images: character.meta.isDeleted ? [] : try await service.images(of: id))
        }
        routes.add(.patch, "/api/characters/{id}") { request, context in
            let id = try context.uuidParameter()
            let expected = try request.expectedVersion()
            var body = try await JSONBody.read(request, limit: maxBodyBytes)
            body.allowOnly(Self.fields)
            let patch = CharacterPatch(
                name: body.string("name"), description: body.optionalString("description"), lora: body.optionalString("lora"),
                triggerWords: body.stringList("trigger_words"), styleNotes: body.optionalString("style_notes")
            )
            try body.throwIfInvalid()
            return try respond(try await service.update(id: id, patch, expectedVersion: expected))
        }
        routes.addTrashRoutes("/api/characters/{id}", kind: .character, trash: trash) { id in try respond(try await service.get(id: id)) }
        routes.add(.post, "/api/characters/{id}/apply") { request, context in
            let id = try context.uuidParameter()
            let clipID = try await JSONBody.clipID(request, limit: maxBodyBytes)
            let clip = try await service.apply(characterID: id, toClip: clipID)
            var writer = JSONWriter()
            writer.clip(clip)
            return writer.response(headers: [.eTag: etag(clip.meta.version)])
        }
        routes.add(.get, "/api/characters/{id}/reference-images") { _, context in
            let images = try await service.images(of: try context.uuidParameter())
            var writer = JSONWriter()
            writer.list(images, nextCursor: nil) { $0.characterImage($1) }
            return writer.response()
        }
        routes.add(.get, "/api/characters/{id}/samples") { _, context in
            let images = try await service.images(of: try context.uuidParameter(), kind: .sample)
            var writer = JSONWriter()
            writer.list(images, nextCursor: nil) { $0.characterImage($1) }
            return writer.response()
        }
        routes.add(.post, "/api/characters/{id}/samples/{image_id}/make-reference") { _, context in
            let image = try await service.makeReference(
                characterID: try context.uuidParameter(), imageID: try context.uuidParameter("image_id"))
            var writer = JSONWriter()
            writer.characterImage(image)
            return writer.response()
        }
        routes.add(.post, "/api/characters/{id}/reference-images", rawBody: true) { request, context in
            let image = try await service.uploadImage(
                characterID: try context.uuidParameter(), request.body.map { Array(buffer: $0) }, declaredLength: request.declaredLength)
            var writer = JSONWriter()
            writer.characterImage(image)
            return writer.response(status: .created, headers: [.location: "/api/media/\(image.meta.id.uuidString.lowercased())"])
        }
    }

    func respond(_ character: ProjectCharacter, images: [CharacterImage]? = nil, status: HTTPResponse.Status = .ok) throws -> Response {
        var writer = JSONWriter()
        writer.character(character, images: images)
        var headers: HTTPFields = [.eTag: etag(character.meta.version)]
        if status == .created { headers[.location] = "/api/characters/\(character.meta.id.uuidString.lowercased())" }
        return writer.response(status: status, headers: headers)
    }
}
