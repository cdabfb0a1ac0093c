import Foundation
import Hummingbird
import StoryboardCore
import StoryboardServices

/// User-supplied ComfyUI workflows with their mappings; generation requests name them with
/// `workflow_id`.
struct WorkflowController {
    let service: WorkflowService
    let trash: TrashService
    let maxBodyBytes: Int

    static let fields: Set<String> = ["name", "description", "generation_type", "graph", "mapping"]

    func register(_ routes: Routes) {
        routes.add(.get, "/api/workflows") { request, _ in
            let page = try await service.list(
                limit: try request.pageLimit(), cursor: request.query("cursor"), includeDeleted: try request.flag("include_deleted"))
            var writer = JSONWriter()
            writer.list(page.items, nextCursor: page.nextCursor) { $0.customWorkflow($1) }
            return writer.response()
        }
        routes.add(.post, "/api/workflows") { request, _ in
            var body = try await JSONBody.read(request, limit: maxBodyBytes)
            body.allowOnly(Self.fields)
            let input = WorkflowInput(
                name: body.string("name", required: true) ?? "", description: body.string("description", nullable: true),
                generationType: Self.type(&body) ?? .image, graph: body.value("graph"), mapping: body.value("mapping")
            )
            try body.throwIfInvalid()
            return respond(try await service.create(input), status: .created)
        }
        routes.add(.get, "/api/workflows/{id}") { request, context in
            respond(try await service.get(id: try context.uuidParameter(), includeDeleted: try request.flag("include_deleted")))
        }
        routes.add(.patch, "/api/workflows/{id}") { request, context in
            let id = try context.uuidParameter()
            let expected = try request.expectedVersion()
            var body = try await JSONBody.read(request, limit: maxBodyBytes)
            body.allowOnly(Self.fields)
            let patch = WorkflowPatch(
                name: body.string("name"), description: body.optionalString("description"), generationType: Self.type(&body),
                graph: body.value("graph"),
                mapping: body.value("mapping")
            )
            try body.throwIfInvalid()
            return respond(try await service.update(id: id, patch, expectedVersion: expected))
        }
        routes.addTrashRoutes("/api/workflows/{id}", kind: .workflow, trash: trash) { id in respond(try await service.get(id: id)) }
    }

    static func type(_ body: inout JSONBody) -> GenerationType? {
        guard let text = body.string("generation_type") else { return nil }
        guard let type = GenerationType(rawValue: text) else {
            body.addError("generation_type", "must be image or video")
            return nil
        }
        return type
    }

    func respond(_ workflow: CustomWorkflow, status: HTTPResponse.Status = .ok) -> Response {
        var writer = JSONWriter()
        writer.customWorkflow(workflow)
        var headers: HTTPFields = [.eTag: etag(workflow.meta.version)]
        if status == .created { headers[.location] = "/api/workflows/\(workflow.meta.id.uuidString.lowercased())" }
        return writer.response(status: status, headers: headers)
    }
}

extension JSONWriter {
    mutating func customWorkflow(_ workflow: CustomWorkflow) {
        beginObject()
        key("id")
        uuid(workflow.meta.id)
        key("name")
        string(workflow.name)
        key("description")
        string(workflow.description)
        key("generation_type")
        string(workflow.generationType.rawValue)
        key("graph")
        rawJSON(workflow.graph)
        key("mapping")
        rawJSON(workflow.mapping)
        metadata(workflow.meta)
        endObject()
    }
}
