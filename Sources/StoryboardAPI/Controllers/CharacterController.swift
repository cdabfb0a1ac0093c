import Foundation
import Hummingbird
import StoryboardCore
import StoryboardServices

/// Characters of a project, their reference images, and applying them to clips.
struct CharacterController {
    let service: CharacterService
    let trash: TrashService
    let media: MediaStore
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
            let id = try context.uuidParameter()
            _ = try await service.get(id: id)
            let received = try await media.receive(
                request.body.map { Array(buffer: $0) }, expected: .image, declaredLength: request.declaredLength)
            let image: CharacterImage
            do {
                image = try await service.addImage(characterID: id, received)
            } catch {
                media.discard(received)
                throw error
            }
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

/// Style templates: global or a project's own, most used first, and applying them to clips.
struct StyleTemplateController {
    let service: StyleTemplateService
    let trash: TrashService
    let maxBodyBytes: Int

    func register(_ routes: Routes) {
        routes.add(.get, "/api/style-templates") { request, _ in
            var projectID: UUID?
            if let text = request.query("project_id") {
                guard let id = UUID(parsing: text) else { throw AppError.invalidParameter("project_id", "must be a UUID") }
                projectID = id
            }
            let page = try await service.list(
                projectID: projectID, includeGlobal: try request.flag("include_global"), limit: try request.pageLimit(),
                cursor: request.query("cursor"),
                includeDeleted: try request.flag("include_deleted")
            )
            var writer = JSONWriter()
            writer.list(page.items, nextCursor: page.nextCursor) { $0.styleTemplate($1) }
            return writer.response()
        }
        routes.add(.post, "/api/style-templates") { request, _ in
            var body = try await JSONBody.read(request, limit: maxBodyBytes)
            body.allowOnly([
                "name", "project_id", "is_global", "description", "prompt_template", "negative_prompt_template", "default_params",
            ])
            let input = StyleTemplateInput(
                name: body.string("name", required: true) ?? "", projectID: body.optionalUUID("project_id") ?? nil,
                isGlobal: body.bool("is_global"),
                description: body.string("description", nullable: true),
                promptTemplate: body.string("prompt_template", required: true) ?? "",
                negativePromptTemplate: body.string("negative_prompt_template", nullable: true), defaultParams: body.value("default_params")
            )
            try body.throwIfInvalid()
            return try respond(try await service.create(input), status: .created)
        }
        routes.add(.get, "/api/style-templates/{id}") { request, context in
            try respond(try await service.get(id: try context.uuidParameter(), includeDeleted: try request.flag("include_deleted")))
        }
        routes.add(.patch, "/api/style-templates/{id}") { request, context in
            let id = try context.uuidParameter()
            let expected = try request.expectedVersion()
            var body = try await JSONBody.read(request, limit: maxBodyBytes)
            body.allowOnly(["name", "description", "prompt_template", "negative_prompt_template", "default_params"])
            let patch = StyleTemplatePatch(
                name: body.string("name"), description: body.optionalString("description"), promptTemplate: body.string("prompt_template"),
                negativePromptTemplate: body.optionalString("negative_prompt_template"),
                defaultParams: body.value("default_params").map { value -> JSONValue? in value == .null ? nil : value }
            )
            try body.throwIfInvalid()
            return try respond(try await service.update(id: id, patch, expectedVersion: expected))
        }
        routes.addTrashRoutes("/api/style-templates/{id}", kind: .styleTemplate, trash: trash) { id in
            try respond(try await service.get(id: id))
        }
        routes.add(.post, "/api/style-templates/{id}/apply") { request, context in
            let id = try context.uuidParameter()
            let clipID = try await JSONBody.clipID(request, limit: maxBodyBytes)
            let clip = try await service.apply(templateID: id, toClip: clipID)
            var writer = JSONWriter()
            writer.clip(clip)
            return writer.response(headers: [.eTag: etag(clip.meta.version)])
        }
    }

    func respond(_ template: StyleTemplate, status: HTTPResponse.Status = .ok) throws -> Response {
        var writer = JSONWriter()
        writer.styleTemplate(template)
        var headers: HTTPFields = [.eTag: etag(template.meta.version)]
        if status == .created { headers[.location] = "/api/style-templates/\(template.meta.id.uuidString.lowercased())" }
        return writer.response(status: status, headers: headers)
    }
}

/// The trash: what was deleted (one entry per delete), restore and purge.
struct TrashController {
    let trash: TrashService

    func register(_ routes: Routes) {
        routes.add(.get, "/api/trash") { request, _ in
            let type = try request.query("type").map(Self.kind)
            let page = try await trash.list(type: type, limit: try request.pageLimit(), cursor: request.query("cursor"))
            var writer = JSONWriter()
            writer.list(page.items, nextCursor: page.nextCursor) { $0.deletion($1) }
            return writer.response()
        }
        routes.add(.delete, "/api/trash/{type}/{id}") { _, context in
            try await trash.purge(try Self.kind(context.parameters.get("type") ?? ""), id: try context.uuidParameter())
            return Response(status: .noContent)
        }
        routes.add(.post, "/api/trash/{type}/{id}/restore") { _, context in
            try await trash.restore(try Self.kind(context.parameters.get("type") ?? ""), id: try context.uuidParameter())
            return Response(status: .noContent)
        }
        routes.add(.post, "/api/trash/purge") { request, _ in
            let age = try Self.age(request.query("older_than") ?? "30d")
            let purged = try await trash.purge(deletedBefore: Timestamp(Date().addingTimeInterval(-age)))
            var writer = JSONWriter()
            writer.beginObject()
            writer.key("purged")
            writer.int(purged)
            writer.endObject()
            return writer.response()
        }
    }

    static func kind(_ text: String) throws -> TrashKind {
        guard let kind = TrashKind(rawValue: text) else {
            throw AppError.invalidParameter("type", "must be one of \(TrashKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return kind
    }

    /// `30d`, `12h`, `90m`, `45s` → seconds.
    static func age(_ text: String) throws -> Double {
        let units: [Character: Double] = ["d": 86400, "h": 3600, "m": 60, "s": 1]
        guard let unit = text.last, let factor = units[unit], let value = Double(text.dropLast()), value >= 0,
            value <= 36500 * 86400 / factor
        else {
            throw AppError.invalidParameter("older_than", "must be a duration such as 30d, 12h, 90m or 45s")
        }
        return value * factor
    }
}
