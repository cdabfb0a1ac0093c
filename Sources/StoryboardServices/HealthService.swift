import Foundation
import StoryboardCore
import StoryboardDatabase

/// Whether the database answers, and how fast: what `GET /api/health` reports.
public struct HealthService: Sendable {
    public struct Report: Sendable {
        public var engine: String
        /// The ping's round trip; nil when the database did not answer.
        public var latencyMilliseconds: Double?
        /// Why the database is unavailable (503), when it is.
        public var failure: AppError?
    }

    let database: Database
    /// A health check that hangs is no health check: the ping gets at most this long.
    let timeout: Double

    public init(database: Database, timeout: Double) {
        self.database = database
        self.timeout = timeout
    }

    public func check() async -> Report {
        let engine = database.engine.rawValue
        do {
            let latency = try await withTimeout(seconds: timeout) { [database] in try await database.ping() }
            return Report(engine: engine, latencyMilliseconds: (latency.milliseconds * 1000).rounded() / 1000, failure: nil)
        } catch {
            let appError = (error as? AppError) ?? AppError.databaseUnavailable()
            let unavailable =
                appError.code == .databaseUnavailable || appError.code == .serviceUnavailable ? appError : AppError.databaseUnavailable()
            return Report(engine: engine, latencyMilliseconds: nil, failure: unavailable)
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
