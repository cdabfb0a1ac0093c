import Foundation
import HTTPTypes
import Hummingbird
import StoryboardCore
import StoryboardServices

/// Projects: list, create, read (as a whole tree if asked), rename, trash, restore, timeline.
struct ProjectController {
    let service: ProjectService
    let trees: ProjectTreeService
    let maxBodyBytes: Int
    let cache = TreeCache()

    func register(_ routes: Routes) {
        routes.add(.get, "/api/projects") { request, _ in try await list(request) }
        routes.add(.post, "/api/projects") { request, _ in try await create(request) }
        routes.add(.get, "/api/projects/{id}") { request, context in try await get(request, context) }
        routes.add(.patch, "/api/projects/{id}") { request, context in try await update(request, context) }
        routes.add(.delete, "/api/projects/{id}") { request, context in try await delete(request, context) }
        routes.add(.post, "/api/projects/{id}/restore") { _, context in try await restore(context) }
        routes.add(.get, "/api/projects/{id}/timeline") { _, context in try await timeline(context) }
    }

    /// `?include=scenes` or `scenes.clips`.
    func depth(_ request: Request) throws -> TreeDepth? {
        switch request.query("include") {
        case nil, "": return nil
        case "scenes": return .scenes
        case "scenes.clips": return .clips
        default: throw AppError.invalidParameter("include", "must be scenes or scenes.clips")
        }
    }

    func list(_ request: Request) async throws -> Response {
        let depth = try depth(request)
        let page = try await service.list(
            nameContains: request.query("q"), limit: try request.pageLimit(), cursor: request.query("cursor"),
            includeDeleted: try request.flag("include_deleted")
        )
        var writer = JSONWriter()
        if let depth {
            let trees = try await trees.trees(of: page.items.filter { !$0.meta.isDeleted }, depth: depth)
            var byID: [UUID: [SceneNode]] = [:]
            for tree in trees { byID[tree.project.meta.id] = tree.scenes }
            writer.list(page.items, nextCursor: page.nextCursor) { $0.project($1, scenes: byID[$1.meta.id] ?? []) }
        } else {
            writer.list(page.items, nextCursor: page.nextCursor) { $0.project($1) }
        }
        return writer.response()
    }

    func create(_ request: Request) async throws -> Response {
        var body = try await JSONBody.read(request, limit: maxBodyBytes)
        body.allowOnly(["name", "description"])
        let name = body.string("name", required: true)
        let description = body.string("description", nullable: true)
        try body.throwIfInvalid()
        let project = try await service.create(name: name ?? "", description: description)
        let id = project.meta.id.uuidString.lowercased()
        return respond(project, status: .created, headers: [.location: "/api/projects/\(id)"])
    }

    func get(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let id = try context.uuidParameter()
        let includeDeleted = try request.flag("include_deleted")
        guard let depth = try depth(request) else {
            return respond(try await service.get(id: id, includeDeleted: includeDeleted))
        }
        // The tree's ETag is the project's change counter: a client that has it gets 304
        // before any row is read, and an unchanged tree is sent from the cache.
        func tag(_ stamp: String?) -> String? {
            stamp.map { "W/\"tree-\(depth == .clips ? "c" : "s")-\(id.uuidString.lowercased())-\($0)\"" }
        }
        var current = tag(try await trees.stamp(of: id))
        if let current {
            if let match = request.headers[.ifNoneMatch],
                match.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == current })
            {
                return Response(status: .notModified, headers: [.eTag: current])
            }
            if let bytes = cache.get(current) {
                return Response(
                    status: .ok, headers: [.eTag: current, .contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: bytes))
            }
        }
        // The tree is read with one statement per table; a change committed in between bumps
        // the stamp, so an unchanged stamp afterwards means the parts fit together.
        for _ in 0..<3 {
            let project = try await service.get(id: id, includeDeleted: includeDeleted)
            let tree = try await trees.tree(of: project, depth: depth)
            var writer = JSONWriter(capacity: 64 * 1024)
            writer.project(project, scenes: tree.scenes)
            guard let before = current, !project.meta.isDeleted else { return writer.response() }
            let after = tag(try await trees.stamp(of: id))
            let buffer = ByteBuffer(bytes: writer.bytes)
            if after == before {
                cache.put(before, buffer)
                return Response(
                    status: .ok, headers: [.eTag: before, .contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: buffer))
            }
            current = after
        }
        throw AppError(.serviceUnavailable, "The project changed while it was being read; try again", retryAfter: 1)
    }

    func update(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let id = try context.uuidParameter()
        let expected = try request.expectedVersion()
        var body = try await JSONBody.read(request, limit: maxBodyBytes)
        body.allowOnly(["name", "description"])
        let patch = ProjectPatch(name: body.string("name"), description: body.optionalString("description"))
        try body.throwIfInvalid()
        return respond(try await service.update(id: id, patch, expectedVersion: expected))
    }

    func delete(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        try await service.delete(id: try context.uuidParameter(), expectedVersion: try request.expectedVersion())
        return Response(status: .noContent)
    }

    func restore(_ context: AppRequestContext) async throws -> Response {
        respond(try await service.restore(id: try context.uuidParameter()))
    }

    func timeline(_ context: AppRequestContext) async throws -> Response {
        let (project, scenes, analysis) = try await trees.timeline(of: try context.uuidParameter())
        let past = Set(analysis.pastMusicEnd)
        var writer = JSONWriter(capacity: 32 * 1024)
        writer.beginObject()
        writer.key("project_id")
        writer.uuid(project.meta.id)
        writer.key("music_duration")
        writer.double(project.musicDuration)
        writer.key("scenes")
        writer.beginArray()
        for (scene, clips) in scenes {
            writer.beginObject()
            writer.key("id")
            writer.uuid(scene.meta.id)
            writer.key("name")
            writer.string(scene.name)
            writer.key("order")
            writer.int(scene.order)
            writer.key("clips")
            writer.beginArray()
            for clip in clips {
                writer.beginObject()
                writer.key("id")
                writer.uuid(clip.meta.id)
                writer.key("name")
                writer.string(clip.name)
                writer.key("order")
                writer.int(clip.order)
                writer.key("start")
                writer.double(clip.timelinePosition)
                writer.key("end")
                writer.double(clip.end)
                writer.key("length")
                writer.double(clip.length)
                writer.key("selected_image_id")
                writer.uuid(clip.selectedImageID)
                writer.key("selected_video_id")
                writer.uuid(clip.selectedVideoID)
                writer.key("past_music_end")
                writer.bool(past.contains(clip.meta.id))
                writer.endObject()
            }
            writer.endArray()
            writer.endObject()
        }
        writer.endArray()
        writer.key("total_clips")
        writer.int(analysis.totalClips)
        writer.key("total_duration")
        writer.double(analysis.totalDuration)
        writer.key("timeline_end")
        writer.double(analysis.timelineEnd)
        writer.key("gaps")
        writer.beginArray()
        for gap in analysis.gaps {
            writer.beginObject()
            writer.key("start")
            writer.double(gap.start)
            writer.key("end")
            writer.double(gap.end)
            writer.key("duration")
            writer.double((gap.duration * 1000).rounded() / 1000)
            writer.key("before_clip_id")
            writer.uuid(gap.beforeClipID)
            writer.key("after_clip_id")
            writer.uuid(gap.afterClipID)
            writer.endObject()
        }
        writer.endArray()
        writer.key("overlaps")
        writer.beginArray()
        for overlap in analysis.overlaps {
            writer.beginObject()
            writer.key("clip_id")
            writer.uuid(overlap.clipID)
            writer.key("other_clip_id")
            writer.uuid(overlap.otherClipID)
            writer.key("start")
            writer.double(overlap.start)
            writer.key("end")
            writer.double(overlap.end)
            writer.key("duration")
            writer.double((overlap.duration * 1000).rounded() / 1000)
            writer.endObject()
        }
        writer.endArray()
        writer.key("clips_past_music_end")
        writer.beginArray()
        for id in analysis.pastMusicEnd { writer.uuid(id) }
        writer.endArray()
        writer.key("music_fit")
        writer.string(analysis.musicFit)
        writer.key("music_end_difference")
        writer.double(project.musicDuration.map { ((analysis.timelineEnd - $0) * 1000).rounded() / 1000 })
        writer.key("has_issues")
        writer.bool(analysis.hasIssues)
        writer.endObject()
        return writer.response()
    }

    func respond(_ project: Project, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var writer = JSONWriter()
        writer.project(project)
        var headers = headers
        headers[.eTag] = etag(project.meta.version)
        return writer.response(status: status, headers: headers)
    }
}
