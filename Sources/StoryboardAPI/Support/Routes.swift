import HTTPTypes
import Hummingbird

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
