import Foundation
import Hummingbird
import StoryboardCore
import StoryboardServices

/// Generation servers (`comfyui_servers`). `api_key` is accepted and never sent back:
/// responses say `has_api_key`.
struct ServerController {
    let service: ServerService
    let monitor: ServerMonitor
    let trash: TrashService
    let maxBodyBytes: Int

    static let fields: Set<String> = ["name", "url", "server_type", "api_key", "endpoint_id", "is_active", "max_concurrent", "pull_mode"]

    func register(_ routes: Routes) {
        routes.add(.get, "/api/servers") { request, _ in
            let page = try await service.list(
                activeOnly: try request.flag("active"), limit: try request.pageLimit(), cursor: request.query("cursor"),
                includeDeleted: try request.flag("include_deleted")
            )
            // `include=status`: each server with its last check (null before the first), so a
            // list view needs one request, and no 404 per server that was never checked.
            var statuses: [UUID: ServerStatus]?
            switch request.query("include") {
            case nil: break
            case "status"?: statuses = Dictionary(try await monitor.statuses().map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            case let other?: throw AppError(.invalidParameter, "include must be status, not \(other)", details: ["parameter": "include"])
            }
            var writer = JSONWriter()
            writer.list(page.items, nextCursor: page.nextCursor) { writer, server in
                writer.server(server, status: statuses.map { .some($0[server.meta.id]) } ?? .none)
            }
            return writer.response()
        }
        routes.add(.post, "/api/servers") { request, _ in
            var body = try await JSONBody.read(request, limit: maxBodyBytes)
            body.allowOnly(Self.fields)
            let name = body.string("name", required: true)
            let url = body.string("url", required: true)
            let type = Self.serverType(&body, required: true)
            let key = body.string("api_key", nullable: true).map(Secret.init)
            let endpoint = body.string("endpoint_id", nullable: true)
            let active = body.bool("is_active") ?? true
            let limit = body.int("max_concurrent") ?? 1
            let pull = body.bool("pull_mode") ?? false
            try body.throwIfInvalid()
            let server = try await service.create(
                GenerationServer(
                    name: name ?? "", url: url ?? "", serverType: type ?? .comfyui, apiKey: key, endpointID: endpoint, isActive: active,
                    maxConcurrent: limit,
                    pullMode: pull
                )
            )
            return respond(server, status: .created)
        }
        routes.add(.get, "/api/servers/{id}") { request, context in
            respond(try await service.get(id: try context.uuidParameter(), includeDeleted: try request.flag("include_deleted")))
        }
        routes.add(.patch, "/api/servers/{id}") { request, context in
            let id = try context.uuidParameter()
            let expected = try request.expectedVersion()
            var body = try await JSONBody.read(request, limit: maxBodyBytes)
            body.allowOnly(Self.fields)
            let patch = ServerPatch(
                name: body.string("name"), url: body.string("url"), serverType: Self.serverType(&body, required: false),
                apiKey: body.optionalString("api_key").map { $0.map(Secret.init) }, endpointID: body.optionalString("endpoint_id"),
                isActive: body.bool("is_active"), maxConcurrent: body.int("max_concurrent"), pullMode: body.bool("pull_mode")
            )
            try body.throwIfInvalid()
            return respond(try await service.update(id: id, patch, expectedVersion: expected))
        }
        routes.add(.post, "/api/servers/{id}/check") { _, context in
            let status = try await monitor.check(id: try context.uuidParameter())
            var writer = JSONWriter()
            writer.serverStatus(status)
            return writer.response()
        }
        routes.add(.get, "/api/servers/{id}/status") { _, context in
            let id = try context.uuidParameter()
            _ = try await service.get(id: id)
            guard let status = try await monitor.status(of: id) else {
                throw AppError(
                    .resourceNotFound, "Server \(id.uuidString.lowercased()) has not been checked yet; POST /api/servers/{id}/check",
                    details: ["resource": "server_status", "id": .string(id.uuidString.lowercased())])
            }
            var writer = JSONWriter()
            writer.serverStatus(status)
            return writer.response()
        }
        routes.addTrashRoutes("/api/servers/{id}", kind: .server, trash: trash) { id in respond(try await service.get(id: id)) }
    }

    static func serverType(_ body: inout JSONBody, required: Bool) -> ServerType? {
        guard let text = body.string("server_type", required: required) else { return nil }
        guard let type = ServerType(rawValue: text) else {
            body.addError("server_type", "must be comfyui or runpod")
            return nil
        }
        return type
    }

    func respond(_ server: GenerationServer, status: HTTPResponse.Status = .ok) -> Response {
        var writer = JSONWriter()
        writer.server(server)
        var headers: HTTPFields = [.eTag: etag(server.meta.version)]
        if status == .created { headers[.location] = "/api/servers/\(server.meta.id.uuidString.lowercased())" }
        return writer.response(status: status, headers: headers)
    }
}

extension JSONWriter {
    /// What the last check (and the dispatcher) know about a server.
    mutating func serverStatus(_ status: ServerStatus) {
        beginObject()
        key("server_id")
        uuid(status.id)
        key("name")
        string(status.name)
        key("url")
        string(status.url)
        key("online")
        bool(status.isOnline)
        key("latency_ms")
        double(status.latencyMs)
        key("queue_running")
        int(status.queueRunning)
        key("queue_pending")
        int(status.queuePending)
        key("queue_length")
        int(status.queueRunning + status.queuePending)
        key("devices")
        rawJSON(status.devices)
        key("system")
        rawJSON(status.system)
        key("model_count")
        int(status.modelCount)
        key("checkpoints")
        json(.array(status.capabilities.checkpoints.map(JSONValue.string)))
        key("loras")
        json(.array(status.capabilities.loras.map(JSONValue.string)))
        key("consecutive_failures")
        int(status.consecutiveFailures)
        key("last_error")
        string(status.lastError)
        key("retry_at")
        timestamp(status.retryAt)
        key("last_model")
        string(status.lastModel)
        key("last_check")
        timestamp(status.lastCheck)
        endObject()
    }

    /// Never the key itself.
    /// `status`: nil leaves the key out; `.some(nil)` writes `"status": null` (never checked).
    mutating func server(_ server: GenerationServer, status: ServerStatus?? = nil) {
        beginObject()
        key("id")
        uuid(server.meta.id)
        key("name")
        string(server.name)
        key("url")
        string(server.url)
        key("server_type")
        string(server.serverType.rawValue)
        key("endpoint_id")
        string(server.endpointID)
        key("has_api_key")
        bool(server.apiKey != nil)
        key("is_active")
        bool(server.isActive)
        key("max_concurrent")
        int(server.maxConcurrent)
        key("pull_mode")
        bool(server.pullMode)
        key("created_at")
        timestamp(server.meta.createdAt)
        key("updated_at")
        timestamp(server.meta.updatedAt)
        key("version")
        int(server.meta.version)
        key("deleted_at")
        timestamp(server.meta.deletedAt)
        if let status {
            key("status")
            if let status { serverStatus(status) } else { null() }
        }
        endObject()
    }
}
