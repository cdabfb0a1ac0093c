import Foundation
import Hummingbird
import StoryboardCore
import StoryboardServices

/// Clips: timeline, prompts, order, moves, alternates, gallery and versions.
struct ClipController {
    let service: ClipService
    let trash: TrashService
    let maxBodyBytes: Int

    func register(_ routes: Routes) {
        routes.add(.get, "/api/scenes/{id}/clips") { request, context in
            let page = try await service.list(
                sceneID: try context.uuidParameter(), limit: try request.pageLimit(), cursor: request.query("cursor"),
                includeDeleted: try request.flag("include_deleted")
            )
            return clipList(page.items, page.nextCursor)
        }
        routes.add(.post, "/api/scenes/{id}/clips") { request, context in try await create(request, context) }
        routes.add(.get, "/api/projects/{id}/clips") { request, context in
            var characterID: UUID?
            if let text = request.query("character_id") {
                guard let id = UUID(parsing: text) else { throw AppError.invalidParameter("character_id", "must be a UUID") }
                characterID = id
            }
            let page = try await service.list(
                projectID: try context.uuidParameter(), characterID: characterID, limit: try request.pageLimit(),
                cursor: request.query("cursor"),
                includeDeleted: try request.flag("include_deleted")
            )
            return clipList(page.items, page.nextCursor)
        }
        routes.add(.post, "/api/scenes/{id}/clips/reorder") { request, context in
            let sceneID = try context.uuidParameter()
            var body = try await JSONBody.read(request, limit: maxBodyBytes)
            body.allowOnly(["clip_ids"])
            let ids = body.uuidList("clip_ids", required: true)
            try body.throwIfInvalid()
            return clipList(try await service.reorder(sceneID: sceneID, ids: ids ?? []), nil)
        }
        routes.add(.get, "/api/clips/{id}") { request, context in
            try respond(try await service.get(id: try context.uuidParameter(), includeDeleted: try request.flag("include_deleted")))
        }
        routes.add(.patch, "/api/clips/{id}") { request, context in try await update(request, context) }
        routes.addTrashRoutes("/api/clips/{id}", kind: .clip, trash: trash) { id in try respond(try await service.get(id: id)) }
        routes.add(.post, "/api/clips/{id}/move") { request, context in
            let id = try context.uuidParameter()
            let expected = try request.expectedVersion()
            var body = try await JSONBody.read(request, limit: maxBodyBytes)
            body.allowOnly(["scene_id", "order"])
            let sceneID = body.uuid("scene_id", required: true)
            let order = body.int("order")
            try body.throwIfInvalid()
            guard let sceneID else { throw AppError.validation(["scene_id": "is required"]) }
            return try respond(try await service.move(id: id, toScene: sceneID, order: order, expectedVersion: expected))
        }
        routes.add(.put, "/api/clips/{id}/prompts") { request, context in
            let id = try context.uuidParameter()
            let expected = try request.expectedVersion()
            var body = try await JSONBody.read(request, limit: maxBodyBytes)
            body.allowOnly(["image_prompt", "video_prompt"])
            let image = body.optionalString("image_prompt")
            let video = body.optionalString("video_prompt")
            try body.throwIfInvalid()
            return try respond(try await service.setPrompts(id: id, imagePrompt: image, videoPrompt: video, expectedVersion: expected))
        }
        routes.add(.put, "/api/clips/{id}/timeline") { request, context in
            let id = try context.uuidParameter()
            let expected = try request.expectedVersion()
            let check = try request.query("check_overlap") == nil ? true : request.flag("check_overlap")
            var body = try await JSONBody.read(request, limit: maxBodyBytes)
            body.allowOnly(["timeline_position", "length"])
            let position = body.double("timeline_position", required: true)
            let length = body.double("length")
            try body.throwIfInvalid()
            return try respond(
                try await service.setTiming(id: id, position: position ?? 0, length: length, expectedVersion: expected, checkOverlap: check)
            )
        }
        routes.add(.get, "/api/clips/{id}/alternates") { _, context in
            clipList(try await service.alternates(of: try context.uuidParameter()), nil)
        }
        routes.add(.post, "/api/clips/{id}/alternates") { request, context in
            let id = try context.uuidParameter()
            var body = try await JSONBody.read(request, limit: maxBodyBytes)
            body.allowOnly(["name"])
            let name = body.string("name")
            try body.throwIfInvalid()
            return try respond(try await service.createAlternate(of: id, name: name), status: .created)
        }
        routes.add(.post, "/api/clips/{id}/promote") { _, context in
            try respond(try await service.promote(try context.uuidParameter()))
        }
        registerGallery(routes)
        registerVersions(routes)
    }

    private func registerGallery(_ routes: Routes) {
        routes.add(.get, "/api/clips/{id}/gallery") { _, context in
            let gallery = try await service.gallery(of: try context.uuidParameter())
            var writer = JSONWriter()
            writer.beginObject()
            writer.key("generated_images")
            writer.galleryItems(gallery.images, selected: gallery.selectedImageID)
            writer.key("generated_videos")
            writer.galleryItems(gallery.videos, selected: gallery.selectedVideoID)
            writer.key("selected_image_id")
            writer.uuid(gallery.selectedImageID)
            writer.key("selected_video_id")
            writer.uuid(gallery.selectedVideoID)
            writer.endObject()
            return writer.response()
        }
        // An image uploaded by hand (PNG, JPEG or WebP, decided from the bytes).
        routes.add(.post, "/api/clips/{id}/gallery", rawBody: true) { request, context in
            let (item, isSelected) = try await service.uploadImage(
                clipID: try context.uuidParameter(), request.body.map { Array(buffer: $0) }, declaredLength: request.declaredLength)
            var writer = JSONWriter()
            writer.galleryItem(item, isSelected: isSelected)
            return writer.response(status: .created, headers: [.location: "/api/media/\(item.meta.id.uuidString.lowercased())"])
        }
        routes.add(.post, "/api/clips/{id}/gallery/select") { request, context in
            let id = try context.uuidParameter()
            let expected = try request.expectedVersion()
            var body = try await JSONBody.read(request, limit: maxBodyBytes)
            body.allowOnly(["image_id", "video_id"])
            let image = body.optionalUUID("image_id")
            let video = body.optionalUUID("video_id")
            try body.throwIfInvalid()
            return try respond(try await service.select(clipID: id, imageID: image, videoID: video, expectedVersion: expected))
        }
        routes.add(.delete, "/api/clips/{id}/gallery/{media_id}") { _, context in
            let clipID = try context.uuidParameter()
            let itemID = try context.uuidParameter("media_id")
            let gallery = try await service.gallery(of: clipID)
            guard (gallery.images + gallery.videos).contains(where: { $0.meta.id == itemID }) else {
                throw AppError.notFound(.galleryItem, id: itemID.uuidString.lowercased())
            }
            try await trash.delete(.galleryItem, id: itemID)
            return Response(status: .noContent)
        }
    }

    private func registerVersions(_ routes: Routes) {
        routes.add(.get, "/api/clips/{id}/versions") { _, context in
            let versions = try await service.versions(of: try context.uuidParameter())
            var writer = JSONWriter()
            writer.list(versions, nextCursor: nil) { $0.clipVersion($1) }
            return writer.response()
        }
        routes.add(.post, "/api/clips/{id}/versions") { request, context in
            let id = try context.uuidParameter()
            var body = try await JSONBody.read(request, limit: maxBodyBytes)
            body.allowOnly(["generation_params"])
            var params: String?
            if let value = body.value("generation_params"), value != .null {
                guard case .object = value else { throw AppError.validation(["generation_params": "must be an object"]) }
                var writer = JSONWriter()
                writer.json(value)
                params = String(decoding: writer.bytes, as: UTF8.self)
            }
            try body.throwIfInvalid()
            let version = try await service.createVersion(of: id, generationParams: params)
            var writer = JSONWriter()
            writer.clipVersion(version)
            return writer.response(
                status: .created, headers: [.location: "/api/clips/\(id.uuidString.lowercased())/versions/\(version.number)"])
        }
        routes.add(.get, "/api/clips/{id}/versions/{n}") { _, context in
            let id = try context.uuidParameter()
            guard let text = context.parameters.get("n"), let number = Int(text), number >= 1 else {
                throw AppError.invalidParameter("n", "must be a version number (1 or more)")
            }
            guard let version = try await service.versions(of: id).first(where: { $0.number == number }) else {
                throw AppError(
                    .resourceNotFound, "Clip \(id.uuidString.lowercased()) has no version \(number)",
                    details: ["resource": "clip_version", "number": .number(Double(number))])
            }
            var writer = JSONWriter()
            writer.clipVersion(version)
            return writer.response()
        }
        routes.add(.post, "/api/clips/{id}/versions/{n}/activate") { request, context in
            let id = try context.uuidParameter()
            guard let text = context.parameters.get("n"), let number = Int(text), number >= 1 else {
                throw AppError.invalidParameter("n", "must be a version number (1 or more)")
            }
            return try respond(try await service.activateVersion(of: id, number: number, expectedVersion: try request.expectedVersion()))
        }
    }

    func clipList(_ clips: [Clip], _ next: String?) -> Response {
        var writer = JSONWriter(capacity: 1024 * max(clips.count, 1))
        writer.list(clips, nextCursor: next) { $0.clip($1) }
        return writer.response()
    }

    func respond(_ clip: Clip, status: HTTPResponse.Status = .ok) throws -> Response {
        var writer = JSONWriter()
        writer.clip(clip)
        var headers: HTTPFields = [.eTag: etag(clip.meta.version)]
        if status == .created { headers[.location] = "/api/clips/\(clip.meta.id.uuidString.lowercased())" }
        return writer.response(status: status, headers: headers)
    }

    func create(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let sceneID = try context.uuidParameter()
        let check = try request.query("check_overlap") == nil ? true : request.flag("check_overlap")
        var body = try await JSONBody.read(request, limit: maxBodyBytes)
        body.allowOnly([
            "name", "lyrics", "length", "timeline_position", "order", "image_prompt", "video_prompt", "negative_prompt", "character_id",
        ])
        let input = ClipInput(
            name: body.string("name", required: true) ?? "", lyrics: body.string("lyrics", nullable: true),
            length: body.double("length", required: true) ?? 1,
            timelinePosition: body.double("timeline_position"), order: body.int("order"),
            imagePrompt: body.string("image_prompt", nullable: true),
            videoPrompt: body.string("video_prompt", nullable: true), negativePrompt: body.string("negative_prompt", nullable: true),
            characterID: body.optionalUUID("character_id") ?? nil
        )
        try body.throwIfInvalid()
        return try respond(try await service.create(sceneID: sceneID, input, checkOverlap: check), status: .created)
    }

    func update(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let id = try context.uuidParameter()
        let expected = try request.expectedVersion()
        let check = try request.query("check_overlap") == nil ? true : request.flag("check_overlap")
        var body = try await JSONBody.read(request, limit: maxBodyBytes)
        body.allowOnly([
            "name", "lyrics", "length", "timeline_position", "order", "image_prompt", "video_prompt", "negative_prompt", "character_id",
        ])
        let patch = ClipPatch(
            name: body.string("name"), lyrics: body.optionalString("lyrics"), length: body.double("length"),
            timelinePosition: body.double("timeline_position"),
            order: body.int("order"), imagePrompt: body.optionalString("image_prompt"), videoPrompt: body.optionalString("video_prompt"),
            negativePrompt: body.optionalString("negative_prompt"), characterID: body.optionalUUID("character_id")
        )
        try body.throwIfInvalid()
        return try respond(try await service.update(id: id, patch, expectedVersion: expected, checkOverlap: check))
    }
}

extension Request {
    /// Content-Length when the client sent one.
    var declaredLength: Int? { headers[.contentLength].flatMap(Int.init) }
}
