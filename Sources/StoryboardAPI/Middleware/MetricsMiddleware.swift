import Hummingbird
import Metrics

/// Requests by route and status, and their latency, into the application's own registry.
struct RequestMetricsMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    let factory: any MetricsFactory

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        let response = try await next(request, context)
        // Unmatched paths share one label so that scanners cannot grow the series without bound.
        let route = context.coreContext.endpointPath.value.flatMap { $0 == "NotFound" ? nil : $0 } ?? "unmatched"
        let method = request.method.rawValue
        Counter(
            label: "storyboard_http_requests_total",
            dimensions: [("route", route), ("method", method), ("status", String(response.status.code))],
            factory: factory
        ).increment()
        Metrics.Timer(
            label: "storyboard_http_request_duration_seconds", dimensions: [("route", route), ("method", method)], factory: factory
        )
        .record(duration: ContinuousClock.now - started)
        return response
    }
}
