import Foundation
import Hummingbird
import StoryboardCore
import StoryboardServices

/// `GET /api/health`: the server is up and the database answers.
struct HealthController {
    let health: HealthService

    func register(_ routes: Routes) {
        routes.add(.get, "/api/health") { _, context in try await self.health(context) }
    }

    struct DatabaseHealth: Encodable {
        var status: String
        var engine: String
        var latencyMS: Double?

        enum CodingKeys: String, CodingKey {
            case status, engine
            case latencyMS = "latency_ms"
        }
    }

    struct Health: Encodable {
        var status: String
        var database: DatabaseHealth
        var version: String
        var error: ErrorEnvelope.Body?
    }

    func health(_ context: AppRequestContext) async throws -> Response {
        let report = await health.check()
        guard let failure = report.failure else {
            let body = Health(
                status: "ok",
                database: .init(status: "ok", engine: report.engine, latencyMS: report.latencyMilliseconds),
                version: StoryboardVersion.current
            )
            return try JSONResponse.make(body)
        }
        let body = Health(
            status: "unavailable",
            database: .init(status: "unavailable", engine: report.engine, latencyMS: nil),
            version: StoryboardVersion.current,
            error: .init(code: failure.code.rawValue, message: failure.message, details: nil, requestID: context.requestID)
        )
        return try JSONResponse.make(body, status: .serviceUnavailable, headers: [.retryAfter: String(failure.retryAfter ?? 5)])
    }
}
