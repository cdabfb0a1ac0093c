import Logging
import NIOCore
import PostgresKit
import PostgresNIO
import SQLKit
import SQLiteKit
import SQLiteNIO
import Synchronization

// Rows that read the scalar types repositories use (String, Int, Double, Bool) straight from
// the driver's cell, and hand anything else to the driver's own SQLKit row. The SQLKit rows of
// sqlite-kit and postgres-kit go through a dynamic `Decodable` dispatch for every column, which
// made a page of 100 rows cost about twice the raw driver's (BENCHMARKS.md).

struct MissingColumn: Error, CustomStringConvertible {
    let column: String
    var description: String { "no column \(column) in the result" }
}

/// `value` as `D`, for a `D` the caller has just checked to be exactly `T`. A dynamic cast
/// (`as? D`) here cost more than the rest of reading the column.
@inline(__always)
private func same<T, D>(_ value: T, as type: D.Type) -> D {
    precondition(T.self == D.self)
    return unsafeBitCast(value, to: D.self)
}

struct SQLiteFastRow: SQLRow {
    let columns: SQLiteColumnNames
    let values: [SQLiteData]
    let decoder: SQLiteDataDecoder

    var allColumns: [String] { columns.names }
    func contains(column: String) -> Bool { columns.offset(of: column) != nil }
    func decodeNil(column: String) throws -> Bool { columns.offset(of: column).map { values[$0] == .null } ?? true }

    func decode<D: Decodable>(column: String, as type: D.Type) throws -> D {
        guard let offset = columns.offset(of: column) else { throw MissingColumn(column: column) }
        let data = values[offset]
        switch data {
        case .text(let value) where D.self == String.self:
            return same(value, as: D.self)
        case .integer(let value) where D.self == Int.self:
            return same(value, as: D.self)
        case .float(let value) where D.self == Double.self:
            return same(value, as: D.self)
        case .integer(let value) where D.self == Double.self:
            return same(Double(value), as: D.self)
        case .integer(let value) where D.self == Bool.self:
            return same(value != 0, as: D.self)
        default:
            return try decoder.decode(D.self, from: data)
        }
    }
}

struct PostgresFastRow: SQLRow {
    let row: PostgresRandomAccessRow
    let original: PostgresRow

    var allColumns: [String] { row.map(\.columnName) }
    func contains(column: String) -> Bool { row.contains(column) }
    func decodeNil(column: String) throws -> Bool { !row.contains(column) || row[column].bytes == nil }

    func decode<D: Decodable>(column: String, as type: D.Type) throws -> D {
        guard row.contains(column) else { throw MissingColumn(column: column) }
        let cell = row[column]
        if D.self == String.self { return same(try cell.decode(String.self), as: D.self) }
        if D.self == Int.self { return same(try cell.decode(Int.self), as: D.self) }
        if D.self == Double.self { return same(try cell.decode(Double.self), as: D.self) }
        if D.self == Bool.self { return same(try cell.decode(Bool.self), as: D.self) }
        return try original.sql().decode(column: column, as: D.self)
    }
}

/// Counts the statements a database runs: a test checks that a route's query count does not
/// grow with the data (no query per row).
public final class StatementCounter: Sendable {
    private let value = Atomic<Int>(0)
    public init() {}
    public var count: Int { value.load(ordering: .relaxed) }
    func increment() { value.add(1, ordering: .relaxed) }
}

/// SQLKit over one SQLite connection, running each statement on the calling task through
/// `SQLiteHandle` (no thread hop, statements kept prepared).
struct DirectSQLiteDatabase: SQLDatabase {
    let handle: SQLiteHandle
    let logger: Logger
    let counter: StatementCounter
    let eventLoop: any EventLoop
    private let encoder = SQLiteDataEncoder()
    private let decoder = SQLiteDataDecoder()

    init(handle: SQLiteHandle, logger: Logger, counter: StatementCounter, eventLoop: any EventLoop) {
        self.handle = handle
        self.logger = logger
        self.counter = counter
        self.eventLoop = eventLoop
    }

    var version: (any SQLDatabaseReportedVersion)? { nil }
    var dialect: any SQLDialect { SQLiteDialect() }
    var queryLogLevel: Logger.Level? { nil }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        counter.increment()
        let (sql, rawBinds) = serialize(query)
        let binds = try rawBinds.map { try encoder.encode($0) }
        let decoder = self.decoder
        try handle.query(sql, binds) { columns, values in onRow(SQLiteFastRow(columns: columns, values: values, decoder: decoder)) }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<Void> {
        eventLoop.makeFutureWithTask { try await self.execute(sql: query, onRow) }
    }
}

/// SQLKit over one PostgreSQL connection, producing `PostgresFastRow`s. Statements whose binds
/// are not plain PostgreSQL types go through postgres-kit unchanged, and everything but running
/// statements (dialect, version, logger, the future-based API) comes from its database.
struct DirectPostgresDatabase: SQLDatabase {
    let connection: PostgresConnection
    let base: any SQLDatabase
    let counter: StatementCounter

    init(connection: PostgresConnection, counter: StatementCounter) {
        self.connection = connection
        self.base = connection.sql(queryLogLevel: nil)
        self.counter = counter
    }

    var logger: Logger { base.logger }
    var eventLoop: any EventLoop { base.eventLoop }
    var version: (any SQLDatabaseReportedVersion)? { base.version }
    var dialect: any SQLDialect { base.dialect }
    var queryLogLevel: Logger.Level? { nil }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<Void> {
        base.execute(sql: query, onRow)
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        counter.increment()
        let (sql, binds) = serialize(query)
        var bindings = PostgresBindings(capacity: binds.count)
        for bind in binds {
            guard let value = bind as? any PostgresEncodable else {
                return try await base.execute(sql: query, onRow)
            }
            try bindings.append(value)
        }
        let rows = try await connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
        for try await row in rows {
            onRow(PostgresFastRow(row: row.makeRandomAccess(), original: row))
        }
    }

    /// A hot statement prepared on this connection (once; postgres-nio keeps it by name): the
    /// first row, if any. Counted like any other statement.
    func run<Statement: PostgresPreparedStatement>(_ statement: Statement) async throws -> Statement.Row? {
        counter.increment()
        var first: Statement.Row?
        // Read to the end, so the connection is idle again when it goes back to the pool.
        for try await row in try await connection.execute(statement, logger: logger) where first == nil { first = row }
        return first
    }
}
