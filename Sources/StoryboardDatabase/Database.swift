import Foundation
import Logging
import Metrics
import PostgresNIO
import SQLKit
import StoryboardCore

public enum DatabaseEngine: String, Sendable {
    case sqlite
    case postgresql
}

/// Something repositories run statements through: the database itself (a connection per call)
/// or one open transaction (every call on the same connection).
public protocol SQLExecutor: Sendable {
    var engine: DatabaseEngine { get }
    /// Runs read-only statements. On SQLite this may be one of several reader connections.
    func read<T>(_ body: (any SQLDatabase) async throws -> T) async throws -> T
    /// Runs statements that change data. On SQLite there is exactly one writer.
    func write<T>(_ body: (any SQLDatabase) async throws -> T) async throws -> T
}

/// The storage behind the server: SQLite (readers + one writer) or PostgreSQL (one pool).
public final class Database: SQLExecutor {
    public let engine: DatabaseEngine
    public let location: DatabaseLocation
    let readers: ConnectionPool
    /// The same pool as `readers` on PostgreSQL; a pool of one on SQLite.
    let writers: ConnectionPool
    let logger: Logger
    /// Statements run so far, on every connection (tests read it; cheap enough to keep on).
    public let statements: StatementCounter
    /// PostgreSQL only: project tree stamps, kept while `followTreeChanges` listens.
    let treeStamps: TreeStampCache?
    private let treeListener: (@Sendable () async throws -> PostgresConnection)?

    private init(
        location: DatabaseLocation, readers: ConnectionPool, writers: ConnectionPool, logger: Logger, statements: StatementCounter,
        treeListener: (@Sendable () async throws -> PostgresConnection)? = nil
    ) {
        self.location = location
        self.engine = location.engineName == "sqlite" ? .sqlite : .postgresql
        self.readers = readers
        self.writers = writers
        self.logger = logger
        self.statements = statements
        self.treeListener = treeListener
        self.treeStamps = treeListener == nil ? nil : TreeStampCache()
    }

    /// Opens the database, trying `connectRetries` more times `connectRetryDelay` apart and
    /// logging each try, so a database that starts a little after the server is waited for.
    public static func connect(
        configuration: StoryboardConfiguration,
        logger: Logger,
        metrics: any MetricsFactory
    ) async throws -> Database {
        let database = try open(configuration: configuration, logger: logger, metrics: metrics)
        let attempts = configuration.connectRetries + 1
        for attempt in 1...attempts {
            do {
                try await database.readers.withConnection { try await $0.sql.raw("SELECT 1").run() }
                logger.info("database connected", metadata: ["engine": "\(database.engine.rawValue)", "attempt": "\(attempt)"])
                return database
            } catch {
                let reason = DatabaseErrorTranslator.describe(error)
                logger.warning(
                    "database connection attempt failed",
                    metadata: [
                        "attempt": "\(attempt)", "of": "\(attempts)", "engine": "\(database.engine.rawValue)", "reason": "\(reason)",
                    ]
                )
                if attempt == attempts {
                    await database.close()
                    throw DatabaseStartupError(location: configuration.database, attempts: attempts, reason: reason)
                }
                try await Task.sleep(for: .seconds(configuration.connectRetryDelay))
            }
        }
        throw DatabaseStartupError(location: configuration.database, attempts: attempts, reason: "no attempt was made")
    }

    /// Builds the pools without connecting.
    static func open(configuration: StoryboardConfiguration, logger: Logger, metrics: any MetricsFactory) throws -> Database {
        let counter = StatementCounter()
        switch configuration.database {
        case .sqlite(let path):
            let directory = (path as NSString).deletingLastPathComponent
            if !directory.isEmpty {
                try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            }
            let writer = ConnectionPool(
                name: "sqlite_writer", maxConnections: 1, acquireTimeout: max(configuration.connectTimeout, 30), logger: logger,
                metrics: metrics,
                connector: Connectors.sqlite(
                    path: path, role: .writer, busyTimeout: configuration.sqliteBusyTimeout, logger: logger, counter: counter)
            )
            // The writer opens first so that WAL mode is set before any reader sees the file.
            let readers = ConnectionPool(
                name: "sqlite_readers", maxConnections: min(configuration.poolSize, 16), acquireTimeout: configuration.connectTimeout,
                logger: logger,
                metrics: metrics,
                connector: Connectors.sqlite(
                    path: path, role: .reader, busyTimeout: configuration.sqliteBusyTimeout, logger: logger, counter: counter)
            )
            return Database(location: configuration.database, readers: readers, writers: writer, logger: logger, statements: counter)
        case .postgres(let settings):
            let pool = ConnectionPool(
                name: "postgresql", maxConnections: configuration.poolSize, acquireTimeout: configuration.connectTimeout, logger: logger,
                metrics: metrics,
                connector: try Connectors.postgres(
                    settings, connectTimeout: configuration.connectTimeout, statementTimeout: configuration.statementTimeout,
                    logger: logger,
                    counter: counter
                )
            )
            let listener = try Connectors.postgresListener(settings, connectTimeout: configuration.connectTimeout, logger: logger)
            return Database(
                location: configuration.database, readers: pool, writers: pool, logger: logger, statements: counter, treeListener: listener)
        }
    }

    public func read<T>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        do {
            return try await readers.withConnection { try await body($0.sql) }
        } catch let error where DatabaseErrorTranslator.isConnectionLost(error) {
            // A connection that died while idle (the server restarted) fails on first use;
            // a read is safe to run again on a fresh one.
            do {
                return try await readers.withConnection { try await body($0.sql) }
            } catch {
                throw DatabaseErrorTranslator.translate(error, logger: logger)
            }
        } catch {
            throw DatabaseErrorTranslator.translate(error, logger: logger)
        }
    }

    public func write<T>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        defer { treeStamps?.evictAll() }
        do {
            return try await writers.withConnection { try await body($0.sql) }
        } catch {
            throw DatabaseErrorTranslator.translate(error, logger: logger)
        }
    }

    /// Runs `body` in one transaction on one connection: everything it does commits together
    /// or not at all. Throwing from `body` rolls back and rethrows.
    public func transaction<T>(_ body: (Transaction) async throws -> T) async throws -> T {
        // After the commit (or whatever ended it): a stamp read from here on is the new one.
        defer { treeStamps?.evictAll() }
        do {
            return try await writers.withConnection { connection in
                // IMMEDIATE takes SQLite's write lock up front, so two transactions never
                // deadlock upgrading from read to write.
                try await connection.sql.raw(engine == .sqlite ? "BEGIN IMMEDIATE" : "BEGIN").run()
                let result: T
                do {
                    result = try await body(Transaction(sql: connection.sql, engine: engine, logger: logger))
                } catch {
                    do {
                        try await connection.sql.raw("ROLLBACK").run()
                    } catch let rollbackError {
                        // A connection whose transaction could not be ended must never be reused.
                        logger.error("rollback failed; dropping the connection", metadata: ["error": "\(rollbackError)"])
                        throw PoisonedConnection(original: error)
                    }
                    throw error
                }
                do {
                    try await connection.sql.raw("COMMIT").run()
                } catch {
                    try? await connection.sql.raw("ROLLBACK").run()
                    throw PoisonedConnection(original: error)
                }
                return result
            }
        } catch let error as PoisonedConnection {
            throw DatabaseErrorTranslator.translate(error.original, logger: logger)
        } catch {
            throw DatabaseErrorTranslator.translate(error, logger: logger)
        }
    }

    /// The project's tree stamp (`ProjectRepository.treeStamp`), from memory when PostgreSQL
    /// changes are being followed and the project has not changed since it was last read.
    public func treeStamp(of id: UUID) async throws -> String? {
        guard let cache = treeStamps else { return try await projects.treeStamp(id) }
        switch cache.lookup(id) {
        case .hit(let stamp):
            return stamp
        case .unavailable:
            return try await projects.treeStamp(id)
        case .miss(let generation):
            let stamp = try await projects.treeStamp(id)
            if let stamp { cache.store(stamp, for: id, readAt: generation) }
            return stamp
        }
    }

    /// Whether tree stamps are being answered from memory right now.
    public var isFollowingTreeChanges: Bool { treeStamps?.isListening ?? false }

    /// Listens for project changes on PostgreSQL (migration 0011) until cancelled, so that
    /// `treeStamp(of:)` can answer from memory; reconnects with back-off when the connection
    /// drops, keeping nothing in memory meanwhile. Returns at once on SQLite.
    public func followTreeChanges() async {
        guard let cache = treeStamps, let connect = treeListener else { return }
        var delay = 0.25
        while !Task.isCancelled {
            var connection: PostgresConnection?
            do {
                let opened = try await connect()
                connection = opened
                // Without the trigger (a schema from before migration 0011, `serve --no-migrate`)
                // nobody announces changes, and nothing may be kept.
                let triggers = try await opened.query("SELECT 1 FROM pg_trigger WHERE tgname = 'projects_tree_changed'", logger: logger)
                var hasTrigger = false
                for try await _ in triggers { hasTrigger = true }
                guard hasTrigger else {
                    logger.notice(
                        "project changes are not announced by this schema (migration 0011 pending); tree stamps are read from the database")
                    try? await opened.close()
                    connection = nil
                    try? await Task.sleep(for: .seconds(30))
                    continue
                }
                try await opened.listen(on: "storyboard_tree") { notifications in
                    cache.setListening(true)
                    logger.debug("following project changes")
                    delay = 0.25
                    for try await notification in notifications {
                        if let id = UUID(uuidString: notification.payload) { cache.evict(id) } else { cache.evictAll() }
                    }
                }
            } catch  where !Task.isCancelled {
                logger.warning("not following project changes; tree stamps are read from the database", metadata: ["error": "\(error)"])
            } catch {}
            cache.setListening(false)
            if let connection { try? await connection.close() }
            try? await Task.sleep(for: .seconds(delay))
            delay = min(delay * 2, 10)
        }
    }

    /// One round trip; the time it took.
    public func ping() async throws -> Duration {
        let clock = ContinuousClock()
        let started = clock.now
        try await read { sql in try await sql.raw("SELECT 1").run() }
        return clock.now - started
    }

    public func close() async {
        await readers.close()
        if writers !== readers { await writers.close() }
    }
}

/// One open transaction. Repositories built on it run every statement on its connection.
public struct Transaction: SQLExecutor {
    public let engine: DatabaseEngine
    let sql: any SQLDatabase
    let logger: Logger

    init(sql: any SQLDatabase, engine: DatabaseEngine, logger: Logger) {
        self.sql = sql
        self.engine = engine
        self.logger = logger
    }

    public func read<T>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        do { return try await body(sql) } catch { throw DatabaseErrorTranslator.translate(error, logger: logger) }
    }

    public func write<T>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        do { return try await body(sql) } catch { throw DatabaseErrorTranslator.translate(error, logger: logger) }
    }
}

/// The database could not be reached at start-up after every retry.
public struct DatabaseStartupError: Error, CustomStringConvertible {
    public let location: DatabaseLocation
    public let attempts: Int
    public let reason: String

    public var description: String {
        let target: String
        switch location {
        case .sqlite(let path): target = "SQLite database at \(path)"
        case .postgres(let settings): target = "PostgreSQL at \(settings.redactedURL)"
        }
        return "cannot connect to the \(target) after \(attempts) attempt\(attempts == 1 ? "" : "s"): \(reason)"
    }
}

/// Thrown out of a connection whose transaction state is unknown, so the pool closes it.
struct PoisonedConnection: Error {
    let original: any Error
}
