import Foundation
import HTTPTypes
import Hummingbird
import StoryboardCore
import StoryboardServices

/// Adds a route to the router and notes what the middleware needs to know about it.
struct Routes {
    let router: Router<AppRequestContext>
    let table: RouteTable

    typealias Handler = @Sendable (Request, AppRequestContext) async throws -> Response

    func add(_ method: HTTPRequest.Method, _ path: String, rawBody: Bool = false, _ handler: @escaping Handler) {
        router.on(RouterPath(path), method: method, use: handler)
        table.record(method, path, rawBody: rawBody)
    }
}

extension Routes {
    /// `DELETE {path}` (to the trash, honouring `If-Match`) and `POST {path}/restore`, which
    /// answers with the restored resource as `restored` writes it.
    func addTrashRoutes(_ path: String, kind: TrashKind, trash: TrashService, restored: @escaping @Sendable (UUID) async throws -> Response)
    {
        add(.delete, path) { request, context in
            try await trash.delete(kind, id: try context.uuidParameter(), expectedVersion: try request.expectedVersion())
            return Response(status: .noContent)
        }
        add(.post, path + "/restore") { _, context in
            let id = try context.uuidParameter()
            try await trash.restore(kind, id: id)
            return try await restored(id)
        }
    }
}
