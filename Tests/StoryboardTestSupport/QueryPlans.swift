import Foundation
import Logging
import NIOCore
import SQLKit
import StoryboardDatabase
import Synchronization

/// An executor that runs every statement a repository builds as `EXPLAIN QUERY PLAN …`
/// (SQLite) or `EXPLAIN …` (PostgreSQL, with sequential scans priced out so a remaining one
/// means no index can serve the query) and keeps the plans instead of the rows. Nothing is
/// executed, so writes can be explained too. Repository calls made through it see no rows.
public final class ExplainingExecutor: SQLExecutor {
    public let database: Database
    public var engine: DatabaseEngine { database.engine }
    private let collected = Mutex<[QueryPlan]>([])

    public init(database: Database) {
        self.database = database
    }

    public var plans: [QueryPlan] { collected.withLock { $0 } }
    public func reset() { collected.withLock { $0.removeAll() } }

    public func read<T>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        try await database.write { sql in try await body(ExplainingDatabase(base: sql, engine: engine, sink: self)) }
    }

    public func write<T>(_ body: (any SQLDatabase) async throws -> T) async throws -> T {
        try await database.write { sql in try await body(ExplainingDatabase(base: sql, engine: engine, sink: self)) }
    }

    func add(_ plan: QueryPlan) { collected.withLock { $0.append(plan) } }
}

/// One statement and the planner's description of it.
public struct QueryPlan: Sendable, CustomStringConvertible {
    public var statement: String
    public var lines: [String]

    /// Tables read front to back with no index (`SCAN t` on SQLite, `Seq Scan on t` on PostgreSQL).
    public var fullScans: [String] {
        lines.compactMap { line in
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.hasPrefix("SCAN "), !text.contains(" USING ") {
                return String(text.dropFirst(5).split(separator: " ").first ?? "")
            }
            if let range = text.range(of: "Seq Scan on ") {
                return String(text[range.upperBound...].split(separator: " ").first ?? "")
            }
            return nil
        }
    }

    /// Rows sorted after they are read (`USE TEMP B-TREE FOR ORDER BY` on SQLite, a `Sort`
    /// node on PostgreSQL): the index does not give the order asked for.
    public var sortsRows: Bool {
        lines.contains { line in
            line.contains("USE TEMP B-TREE FOR ORDER BY") || line.trimmingCharacters(in: .whitespaces).hasPrefix("Sort ")
                || line.contains("->  Sort ")
        }
    }

    public var description: String { "\(statement)\n  " + lines.joined(separator: "\n  ") }
}

struct ExplainingDatabase: SQLDatabase {
    let base: any SQLDatabase
    let engine: DatabaseEngine
    let sink: ExplainingExecutor

    var logger: Logger { base.logger }
    var eventLoop: any EventLoop { base.eventLoop }
    var version: (any SQLDatabaseReportedVersion)? { base.version }
    var dialect: any SQLDialect { base.dialect }
    var queryLogLevel: Logger.Level? { nil }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<Void> {
        let promise = eventLoop.makePromise(of: Void.self)
        promise.completeWithTask { try await self.execute(sql: query, onRow) }
        return promise.futureResult
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        let (text, _) = base.serialize(query)
        if engine == .postgresql { try await base.raw("SET enable_seqscan = off").run() }
        let prefix = engine == .sqlite ? "EXPLAIN QUERY PLAN " : "EXPLAIN "
        let rows = try await base.execute(sql: Prefixed(prefix: prefix, inner: query))
        let column = engine == .sqlite ? "detail" : "QUERY PLAN"
        let lines = try rows.map { try $0.decode(column: column, as: String.self) }
        sink.add(QueryPlan(statement: text, lines: lines))
    }
}

extension SQLDatabase {
    func execute(sql query: any SQLExpression) async throws -> [any SQLRow] {
        let rows = Mutex<[any SQLRow]>([])
        try await execute(sql: query) { row in rows.withLock { $0.append(row) } }
        return rows.withLock { $0 }
    }
}

/// `prefix` followed by `inner`, binds kept.
struct Prefixed: SQLExpression {
    let prefix: String
    let inner: any SQLExpression

    func serialize(to serializer: inout SQLSerializer) {
        serializer.write(prefix)
        inner.serialize(to: &serializer)
    }
}
