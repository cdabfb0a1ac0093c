import Foundation
import Logging
import Metrics
import StoryboardCore
import StoryboardDatabase
import Testing

/// The engines every repository and API suite runs on.
public enum TestEngine: String, Sendable, CaseIterable, CustomTestStringConvertible {
    case sqlite
    case postgresql

    /// SQLite always; PostgreSQL when its binaries are installed, or when the run requires it
    /// (then a missing PostgreSQL fails the tests instead of skipping them).
    public static let available: [TestEngine] = {
        if PostgresCluster.isAvailable || PostgresCluster.isRequired { return [.sqlite, .postgresql] }
        FileHandle.standardError.write(
            Data(
                "note: PostgreSQL not installed; the PostgreSQL suite is skipped (STORYBOARD_TEST_POSTGRES=required makes this a failure)\n"
                    .utf8))
        return [.sqlite]
    }()

    public var testDescription: String { rawValue }
}

/// A fresh database for one test: a temporary SQLite file, or a new database on the shared
/// throwaway PostgreSQL cluster.
public struct TestDatabase: Sendable {
    public let engine: TestEngine
    public let configuration: StoryboardConfiguration
    public let database: Database
    let directory: String

    /// - Parameter migrated: apply every migration of this binary first.
    public static func make(
        _ engine: TestEngine,
        migrated: Bool = true,
        logger: Logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
        metrics: any MetricsFactory = NOOPMetricsHandler.instance,
        cluster: PostgresCluster? = nil,
        configure: (inout StoryboardConfiguration) -> Void = { _ in }
    ) async throws -> TestDatabase {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("storyboard-tests/\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var configuration = StoryboardConfiguration()
        configuration.dataDirectory = directory
        configuration.connectRetries = 0
        configuration.poolSize = 8
        // The suites share two cores with Chromium and PostgreSQL: a request may wait this long
        // for a connection before it is 503 (100 writers queued on one row lock do, under load).
        configuration.connectTimeout = 30
        switch engine {
        case .sqlite:
            configuration.database = .sqlite(path: "\(directory)/storyboard.sqlite")
            configure(&configuration)
            let database = try await Database.connect(configuration: configuration, logger: logger, metrics: metrics)
            if migrated { try await Migrator(database: database, logger: logger).up() }
            return TestDatabase(engine: engine, configuration: configuration, database: database, directory: directory)
        case .postgresql:
            let cluster = if let cluster { cluster } else { try await PostgresCluster.shared() }
            let name = try await cluster.createDatabase(migrated: migrated)
            configuration.database = try PostgresCluster.location(await cluster.url(database: name))
            configure(&configuration)
            let database = try await Database.connect(configuration: configuration, logger: logger, metrics: metrics)
            return TestDatabase(engine: engine, configuration: configuration, database: database, directory: directory)
        }
    }

    public func close() async {
        await database.close()
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// Runs `body` with a fresh database and closes it afterwards, whatever happens.
public func withTestDatabase<T>(
    _ engine: TestEngine,
    migrated: Bool = true,
    metrics: any MetricsFactory = NOOPMetricsHandler.instance,
    configure: (inout StoryboardConfiguration) -> Void = { _ in },
    _ body: (TestDatabase) async throws -> T
) async throws -> T {
    let testDatabase = try await TestDatabase.make(engine, migrated: migrated, metrics: metrics, configure: configure)
    do {
        let result = try await body(testDatabase)
        await testDatabase.close()
        return result
    } catch {
        await testDatabase.close()
        throw error
    }
}
