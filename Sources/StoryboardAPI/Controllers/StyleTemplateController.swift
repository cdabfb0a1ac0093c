import Foundation
import Hummingbird
import StoryboardCore
import StoryboardServices

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
