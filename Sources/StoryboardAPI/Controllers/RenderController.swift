import Foundation
import Hummingbird
import StoryboardCore
import StoryboardServices

/// Animatic renders: queue one for a project, follow it, cancel it. The MP4 of a finished
/// render is downloaded from `/api/media/{media_id}`.
struct RenderController {
    let service: RenderService
    let maxBodyBytes: Int

    static let fields: Set<String> = ["width", "height", "fps"]

    func register(_ routes: Routes) {
        routes.add(.post, "/api/projects/{id}/renders") { request, context in
            let projectID = try context.uuidParameter()
            var body = try await JSONBody.read(request, limit: maxBodyBytes)
            body.allowOnly(Self.fields)
            let render = RenderRequest(width: body.int("width"), height: body.int("height"), fps: body.int("fps"))
            try body.throwIfInvalid()
            return respond(try await service.start(projectID: projectID, render), status: .accepted)
        }
        routes.add(.get, "/api/projects/{id}/renders") { request, context in
            let page = try await service.list(
                projectID: try context.uuidParameter(), limit: try request.pageLimit(), cursor: request.query("cursor"))
            var writer = JSONWriter()
            writer.list(page.items, nextCursor: page.nextCursor) { $0.render($1) }
            return writer.response()
        }
        routes.add(.get, "/api/renders/{id}") { _, context in
            respond(try await service.get(id: try context.uuidParameter()))
        }
        routes.add(.post, "/api/renders/{id}/cancel") { _, context in
            respond(try await service.cancel(id: try context.uuidParameter()))
        }
    }

    func respond(_ render: Render, status: HTTPResponse.Status = .ok) -> Response {
        var writer = JSONWriter()
        writer.render(render)
        var headers: HTTPFields = [.eTag: etag(render.meta.version)]
        if status == .accepted { headers[.location] = "/api/renders/\(render.meta.id.uuidString.lowercased())" }
        return writer.response(status: status, headers: headers)
    }
}

extension JSONWriter {
    mutating func render(_ render: Render) {
        let id = render.meta.id.uuidString.lowercased()
        let done = render.status == .succeeded && render.mediaFileID != nil
        beginObject()
        key("id")
        string(id)
        key("project_id")
        uuid(render.projectID)
        key("status")
        string(render.status.rawValue)
        key("width")
        int(render.width)
        key("height")
        int(render.height)
        key("fps")
        int(render.fps)
        key("duration")
        double(render.duration)
        key("progress")
        double(render.progress)
        key("error")
        string(render.error)
        key("media_id")
        string(done ? id : nil)
        key("media_url")
        string(done ? "/api/media/\(id)" : nil)
        key("download_url")
        string(done ? "/api/media/\(id)?download=true" : nil)
        key("attempts")
        int(render.attempts)
        key("lease_until")
        timestamp(render.leaseUntil)
        key("started_at")
        timestamp(render.startedAt)
        key("finished_at")
        timestamp(render.finishedAt)
        metadata(render.meta)
        endObject()
    }
}
