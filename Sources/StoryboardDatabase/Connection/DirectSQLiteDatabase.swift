import Logging
import NIOCore
import SQLKit
import SQLiteKit
import SQLiteNIO

/// SQLKit over one SQLite connection, calling the connection's own async `query`.
///
/// sqlite-kit's wrapper is generic over `SQLiteDatabase` and so reaches the protocol
/// extension that bridges through an `EventLoopFuture`: two extra thread hops per statement,
/// about half the time of a primary-key read (BENCHMARKS.md).
struct DirectSQLiteDatabase: SQLDatabase {
    let connection: SQLiteConnection
    private let encoder = SQLiteDataEncoder()
    private let decoder = SQLiteDataDecoder()
    private let base: any SQLDatabase

    init(connection: SQLiteConnection) {
        self.connection = connection
        self.base = connection.sql(queryLogLevel: nil)
    }

    var logger: Logger { connection.logger }
    var eventLoop: any EventLoop { connection.eventLoop }
    var version: (any SQLDatabaseReportedVersion)? { base.version }
    var dialect: any SQLDialect { base.dialect }
    var queryLogLevel: Logger.Level? { nil }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<Void> {
        base.execute(sql: query, onRow)
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        let (sql, rawBinds) = serialize(query)
        let binds = try rawBinds.map { try encoder.encode($0) }
        let decoder = self.decoder
        try await connection.query(sql, binds) { row in onRow(SQLiteFastRow(row: row, decoder: decoder)) }
    }
}
