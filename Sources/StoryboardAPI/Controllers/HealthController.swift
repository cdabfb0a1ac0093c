import Foundation
import Hummingbird
import StoryboardCore
import StoryboardDatabase

/// `GET /api/health`: the server is up and the database answers.
struct HealthController {
    let database: Database
    /// A health check that hangs is no health check: the ping gets at most this long.
    let timeout: Double

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
        let engine = database.engine.rawValue
        do {
            let latency = try await withTimeout(seconds: timeout) { try await database.ping() }
            let milliseconds = latency.milliseconds
            let body = Health(
                status: "ok",
                database: .init(status: "ok", engine: engine, latencyMS: (milliseconds * 1000).rounded() / 1000),
                version: StoryboardVersion.current
            )
            return try JSONResponse.make(body)
        } catch {
            let appError = (error as? AppError) ?? AppError.databaseUnavailable()
            let unavailable =
                appError.code == .databaseUnavailable || appError.code == .serviceUnavailable ? appError : AppError.databaseUnavailable()
            let body = Health(
                status: "unavailable",
                database: .init(status: "unavailable", engine: engine, latencyMS: nil),
                version: StoryboardVersion.current,
                error: .init(code: unavailable.code.rawValue, message: unavailable.message, details: nil, requestID: context.requestID)
            )
            return try JSONResponse.make(body, status: .serviceUnavailable, headers: [.retryAfter: String(unavailable.retryAfter ?? 5)])
        }
    }
}

/// Runs `body`, or throws 503 if it takes longer than `seconds`.
func withTimeout<T: Sendable>(seconds: Double, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: .seconds(seconds))
            throw AppError(.databaseUnavailable, "The database did not answer within \(seconds) seconds", retryAfter: 5)
        }
        defer { group.cancelAll() }
        guard let first = try await group.next() else { throw AppError.databaseUnavailable() }
        return first
    }
}
