import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresKit
import PostgresNIO
import SQLKit
import SQLiteKit
import SQLiteNIO
import StoryboardCore
import Synchronization

/// How connections are opened for each engine. Every setting that differs between the
/// engines at connection time lives here.
enum Connectors {
    enum SQLiteRole: String { case reader, writer }

    static func sqlite(
        path: String, role: SQLiteRole, busyTimeout: Double, logger: Logger, counter: StatementCounter
    ) -> ConnectionPool.Connector {
        { id in
            let handle = try SQLiteHandle.open(path: path)
            do {
                // WAL lets readers run beside the one writer; the busy timeout bounds how long a
                // statement waits on a lock held by another process (e.g. `storyboard migrate`).
                let pragmas =
                    [
                        "PRAGMA busy_timeout = \(Int(busyTimeout * 1000))",
                        "PRAGMA journal_mode = WAL",
                        "PRAGMA foreign_keys = ON",
                        "PRAGMA synchronous = NORMAL",
                        // Pages of a big project stay in memory: the writer walks thousands of rows in
                        // one cascade; readers map the file instead of copying pages per connection.
                        "PRAGMA cache_size = -\(role == .writer ? 65536 : 8192)",
                        "PRAGMA mmap_size = 268435456",
                        "PRAGMA temp_store = MEMORY",
                    ] + (role == .reader ? ["PRAGMA query_only = ON"] : [])
                for pragma in pragmas {
                    try handle.query(pragma, []) { _, _ in }
                }
            } catch {
                handle.close()
                throw error
            }
            let database = DirectSQLiteDatabase(
                handle: handle, logger: logger, counter: counter, eventLoop: MultiThreadedEventLoopGroup.singleton.any())
            return PooledConnection(id: id, sql: database, isClosed: { handle.isClosed }, close: { handle.close() })
        }
    }

    static func postgres(
        _ settings: PostgresSettings, connectTimeout: Double, statementTimeout: Double, logger: Logger, counter: StatementCounter
    ) throws -> ConnectionPool.Connector {
        let configuration = try postgresConfiguration(settings, connectTimeout: connectTimeout, statementTimeout: statementTimeout)
        return { id in
            let connection = try await PostgresConnection.connect(configuration: configuration, id: id, logger: logger)
            return PooledConnection(
                id: id,
                sql: DirectPostgresDatabase(connection: connection, counter: counter),
                isClosed: { connection.isClosed },
                close: { try? await connection.close() }
            )
        }
    }

    /// A connection of its own, outside the pool, for `LISTEN` (it is never handed to a query).
    static func postgresListener(
        _ settings: PostgresSettings, connectTimeout: Double, logger: Logger
    ) throws -> @Sendable () async throws -> PostgresConnection {
        let configuration = try postgresConfiguration(settings, connectTimeout: connectTimeout, statementTimeout: 0)
        return { try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger) }
    }

    private static func postgresConfiguration(
        _ settings: PostgresSettings, connectTimeout: Double, statementTimeout: Double
    ) throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS
        switch settings.tls {
        case .disable: tls = .disable
        case .prefer: tls = .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
        case .require: tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
        var configuration = PostgresConnection.Configuration(
            host: settings.host, port: settings.port, username: settings.username,
            password: settings.password, database: settings.database, tls: tls
        )
        configuration.options.connectTimeout = .milliseconds(Int64(connectTimeout * 1000))
        var parameters = [("application_name", "storyboard")]
        if statementTimeout > 0 {
            parameters.append(("statement_timeout", String(Int(statementTimeout * 1000))))
        }
        configuration.options.additionalStartupParameters = parameters
        return configuration
    }
}
