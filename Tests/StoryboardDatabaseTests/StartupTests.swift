import Foundation
import Logging
import Metrics
import SQLKit
import StoryboardCore
import StoryboardDatabase
import StoryboardTestSupport
import Testing

@Suite("Database start-up", .timeLimit(.minutes(2)))
struct StartupTests {
    @Test("PostgreSQL not running: each retry is logged, then one clear error naming the target")
    func retriesThenFails() async throws {
        // Setup: a port nothing listens on.
        var configuration = StoryboardConfiguration()
        let port = try await unusedPort()
        configuration.database = try PostgresCluster.location("postgres://storyboard:secret-password@127.0.0.1:\(port)/storyboard")
        configuration.connectRetries = 2
        configuration.connectRetryDelay = 0.2
        configuration.connectTimeout = 2
        let logs = LogCapture()
        let clock = ContinuousClock()
        let started = clock.now

        // The call under test
        var failure: DatabaseStartupError?
        do {
            _ = try await Database.connect(configuration: configuration, logger: logs.logger, metrics: NOOPMetricsHandler.instance)
        } catch let error as DatabaseStartupError {
            failure = error
        }

        // Checks
        let error = try #require(failure)
        #expect(error.attempts == 3)
        #expect(
            error.description.hasPrefix(
                "cannot connect to the PostgreSQL at postgres://storyboard:***@127.0.0.1:\(port)/storyboard after 3 attempts"))
        #expect(!error.description.contains("\n"), "one line")
        #expect(logs.messages(containing: "database connection attempt failed").count == 3)
        #expect(clock.now - started >= .milliseconds(400), "the retries wait DB_CONNECT_RETRY_DELAY between tries")
        #expect(!logs.text.contains("secret-password"), "the password never reaches a log line")
        #expect(!error.description.contains("secret-password"))
    }

    @Test("SQLite in a folder that cannot be created fails the same way")
    func sqliteUnusable() async throws {
        var configuration = StoryboardConfiguration()
        configuration.database = .sqlite(path: "/proc/storyboard-cannot-live-here/db.sqlite")
        configuration.connectRetries = 1
        configuration.connectRetryDelay = 0

        await #expect(throws: DatabaseStartupError.self) {
            _ = try await Database.connect(configuration: configuration, logger: LogCapture().logger, metrics: NOOPMetricsHandler.instance)
        }
    }

    @Test("SQLite connections use WAL, foreign keys and a bounded busy timeout")
    func sqlitePragmas() async throws {
        try await withTestDatabase(.sqlite) { test in
            let (journal, foreignKeys, busy) = try await test.database.write { sql in
                (
                    try await sql.raw("PRAGMA journal_mode").first()?.decode(column: "journal_mode", as: String.self),
                    try await sql.raw("PRAGMA foreign_keys").first()?.decode(column: "foreign_keys", as: Int.self),
                    try await sql.raw("PRAGMA busy_timeout").first()?.decode(column: "timeout", as: Int.self)
                )
            }
            #expect(journal == "wal")
            #expect(foreignKeys == 1)
            #expect(busy == 5000)
        }
    }
}
