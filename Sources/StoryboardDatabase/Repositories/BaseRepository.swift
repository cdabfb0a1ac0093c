import Foundation
import SQLKit
import StoryboardCore
import Synchronization

/// Pre-quoted column lists, one per record type. Both engines quote identifiers with `"`.
enum ColumnLists {
    private static let cache = Mutex<[ObjectIdentifier: String]>([:])

    static func quoted<R: Record>(_ type: R.Type) -> String {
        let key = ObjectIdentifier(type)
        if let list = cache.withLock({ $0[key] }) { return list }
        let list = R.allColumns.map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }.joined(separator: ", ")
        cache.withLock { $0[key] = list }
        return list
    }
}

/// The operations every collection has (the audit's base repository, plus soft delete,
/// restore, purge, count and keyset pages). Trashed rows are excluded unless asked for.
///
/// Every statement goes through the executor, which translates driver errors: callers only
/// ever see `AppError`.
public struct BaseRepository<R: Record>: Sendable {
    public let executor: any SQLExecutor

    public init(_ executor: any SQLExecutor) {
        self.executor = executor
    }

    /// `"id", "created_at", …` quoted once per record type, not built from 11 identifiers per statement.
    private var columnList: [any SQLExpression] { [SQLRaw(ColumnLists.quoted(R.self))] }

    // MARK: - Create

    @discardableResult
    public func create(_ record: R) async throws -> R {
        try await executor.write { sql in
            try await sql.insert(into: R.table)
                .columns(R.allColumns)
                .values((record.metadataValues + record.values).map(\.expression))
                .run()
        }
        return record
    }

    /// Inserts many rows (imports, seeding); all or none when called inside a transaction.
    public func createAll(_ records: [R]) async throws {
        // Chunks keep each statement under SQLite's and PostgreSQL's bind-parameter limits.
        for chunk in stride(from: 0, to: records.count, by: 200) {
            try await executor.write { sql in
                let insert = sql.insert(into: R.table).columns(R.allColumns)
                for record in records[chunk..<min(chunk + 200, records.count)] {
                    insert.values((record.metadataValues + record.values).map(\.expression))
                }
                try await insert.run()
            }
        }
    }

    // MARK: - Read

    public func find(id: UUID, includeDeleted: Bool = false, forUpdate: Bool = false) async throws -> R? {
        // The hottest read of all, as one pre-rendered statement rather than a select builder.
        var statement = "SELECT \(ColumnLists.quoted(R.self)) FROM \"\(R.table)\" WHERE "
        if !includeDeleted { statement += "\"deleted_at\" IS NULL AND " }
        let key = id.uuidString.lowercased()
        let lock = forUpdate && executor.engine == .postgresql ? " FOR UPDATE" : ""
        return try await executor.read { sql in
            let row = try await sql.raw("\(unsafeRaw: statement)\"id\" = \(bind: key) LIMIT 1\(unsafeRaw: lock)").first()
            return try row.map { try R(row: $0) }
        }
    }

    /// Like `find`, but a missing (or trashed) row is the resource's 404.
    public func get(id: UUID, includeDeleted: Bool = false, forUpdate: Bool = false) async throws -> R {
        guard let record = try await find(id: id, includeDeleted: includeDeleted, forUpdate: forUpdate) else {
            throw AppError.notFound(R.resource, id: id.uuidString.lowercased())
        }
        return record
    }

    /// `forUpdate` locks the row until the transaction ends, for read-modify-write inside
    /// `Database.transaction` (PostgreSQL; SQLite's single writer already serialises those).
    public func findOne(_ filter: Filter, includeDeleted: Bool = false, forUpdate: Bool = false) async throws -> R? {
        let predicate = try predicate(filter, includeDeleted: includeDeleted)
        let lock = forUpdate && executor.engine == .postgresql
        return try await executor.read { sql in
            let select = sql.select().columns(columnList).from(R.table).where(predicate).limit(1)
            if lock { select.for(.update) }
            let row = try await select.first()
            return try row.map { try R(row: $0) }
        }
    }

    /// One page in `sort` order. `limit` is clamped to 1...500; `cursor` comes from the previous page.
    public func findMany(
        _ filter: Filter = .all,
        sort: Sort = .newestFirst,
        limit: Int = 50,
        cursor: String? = nil,
        includeDeleted: Bool = false
    ) async throws -> Page<R> {
        guard let kind = R.sortKind(sort.column) else {
            throw AppError.invalidParameter("sort", "\(sort.column) is not a sortable field")
        }
        let pageSize = min(max(limit, 1), 500)
        var predicate = try predicate(filter, includeDeleted: includeDeleted)
        if let cursor {
            let position = try KeysetCursor.decode(cursor, expecting: sort, kind: kind)
            // A row-value comparison, `(column, id) < (value, last_id)`: both engines walk the
            // (column, id) index from there; the spelled-out OR form made them scan (BENCHMARKS.md).
            let afterCursor = SQLBinaryExpression(
                SQLGroupExpression(SQLList([SQLIdentifier(sort.column), SQLIdentifier("id")])),
                sort.descending ? .lessThan : .greaterThan,
                SQLGroupExpression(SQLList([position.value.expression, SQLBind(position.id)]))
            )
            predicate = SQLBinaryExpression(predicate, .and, afterCursor)
        }
        let direction: SQLDirection = sort.descending ? .descending : .ascending
        let rows = try await executor.read { sql in
            try await sql.select().columns(columnList).from(R.table).where(predicate)
                .orderBy(sort.column, direction).orderBy("id", direction)
                .limit(pageSize + 1).all()
        }
        var items = try rows.prefix(pageSize).map { try R(row: $0) }
        var next: String?
        if rows.count > pageSize, let last = items.last, let value = last.sortValue(sort.column) {
            next = KeysetCursor(sort: sort, value: value, id: last.meta.id).encoded()
        }
        items.reserveCapacity(pageSize)
        return Page(items: items, nextCursor: next)
    }

    public func count(_ filter: Filter = .all, includeDeleted: Bool = false) async throws -> Int {
        let predicate = try predicate(filter, includeDeleted: includeDeleted)
        return try await executor.read { sql in
            let row = try await sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from(R.table).where(predicate)
                .first()
            return try row?.decode(column: "n", as: Int.self) ?? 0
        }
    }

    // MARK: - Update

    /// Applies `changes` to a live row, bumps `version` and `updated_at`, and returns the row as
    /// stored. With `expectedVersion`, a row changed meanwhile is 412 and left untouched.
    public func update(id: UUID, _ changes: Changes, expectedVersion: Int? = nil) async throws -> R {
        var filter = Filter.equals("id", DatabaseValue(id))
        if let expectedVersion { filter = filter.and(.equals("version", .integer(expectedVersion))) }
        if let updated = try await updateOne(filter, changes) { return updated }
        // Nothing matched: say why.
        let current = try await get(id: id)
        if let expectedVersion, current.meta.version != expectedVersion {
            throw AppError(
                .preconditionFailed,
                "\(R.resource.displayName) \(id.uuidString.lowercased()) was changed by someone else (version \(current.meta.version), expected \(expectedVersion))",
                details: ["current_version": .number(Double(current.meta.version))]
            )
        }
        return current
    }

    /// Updates the first live row matching `filter`; nil when none does.
    public func updateOne(_ filter: Filter, _ changes: Changes, includeDeleted: Bool = false) async throws -> R? {
        for assignment in changes.assignments where !R.columns.contains(assignment.column) {
            throw ProgrammingError(description: "\(assignment.column) is not a column of \(R.table) that can be changed")
        }
        let predicate = try predicate(filter, includeDeleted: includeDeleted)
        // Pin the change to one row even when the filter would match several.
        let target = SQLGroupExpression(
            SQLSubquery.select { sub in
                sub.column("id").from(R.table).where(predicate).limit(1)
            }
        )
        return try await executor.write { sql in
            let builder = sql.update(R.table)
            for assignment in changes.assignments {
                builder.set(SQLIdentifier(assignment.column), to: assignment.value.expression)
            }
            builder.set(SQLIdentifier("version"), to: SQLBinaryExpression(SQLIdentifier("version"), .add, SQLLiteral.numeric("1")))
                .set(SQLIdentifier("updated_at"), to: DatabaseValue(Timestamp.now()).expression)
                // The predicate again on the outer statement: PostgreSQL runs the subquery once,
                // but re-checks the outer WHERE after waiting for a row lock, so a concurrent
                // change (a bumped version, a soft delete) makes this match nothing.
                .where(SQLIdentifier("id"), .equal, target)
                .where(predicate)
            let row = try await builder.returning(columnList).first()
            return try row.map { try R(row: $0) }
        }
    }

    /// Applies `changes` to every row matching `filter` (trashed ones too when asked), bumping
    /// their versions; returns how many changed.
    @discardableResult
    public func updateAll(_ filter: Filter, _ changes: Changes, includeDeleted: Bool = false) async throws -> Int {
        try await updateAll(filter, changes, includeDeleted: includeDeleted, returning: [SQLIdentifier("id")]).count
    }

    /// `updateAll`, answering the changed rows as stored.
    public func updateAllReturning(_ filter: Filter, _ changes: Changes, includeDeleted: Bool = false) async throws -> [R] {
        try await updateAll(filter, changes, includeDeleted: includeDeleted, returning: columnList).map { try R(row: $0) }
    }

    private func updateAll(
        _ filter: Filter, _ changes: Changes, includeDeleted: Bool, returning: [any SQLExpression]
    ) async throws -> [any SQLRow] {
        for assignment in changes.assignments where !R.columns.contains(assignment.column) {
            throw ProgrammingError(description: "\(assignment.column) is not a column of \(R.table) that can be changed")
        }
        let predicate = try predicate(filter, includeDeleted: includeDeleted)
        return try await executor.write { sql in
            let builder = sql.update(R.table)
            for assignment in changes.assignments {
                builder.set(SQLIdentifier(assignment.column), to: assignment.value.expression)
            }
            return try await builder.set(SQLIdentifier("version"), to: SQLRaw("\"version\" + 1"))
                .set(SQLIdentifier("updated_at"), to: DatabaseValue(Timestamp.now()).expression)
                .where(predicate).returning(returning).all()
        }
    }

    // MARK: - Trash

    /// Moves a live row to the trash. `deletionID` groups everything one delete took with it.
    @discardableResult
    public func softDelete(id: UUID, deletedBy: String? = nil, deletionID: UUID = UUID()) async throws -> R {
        let rows = try await softDeleteAll(.equals("id", DatabaseValue(id)), deletedBy: deletedBy, deletionID: deletionID)
        guard let row = rows.first else { throw AppError.notFound(R.resource, id: id.uuidString.lowercased()) }
        return row
    }

    /// Set-based soft delete of every live row matching `filter` (cascades use this).
    @discardableResult
    public func softDeleteAll(_ filter: Filter, deletedBy: String? = nil, deletionID: UUID) async throws -> [R] {
        let predicate = try predicate(filter, includeDeleted: false)
        return try await executor.write { sql in
            try await trashing(sql, predicate, deletedBy: deletedBy, deletionID: deletionID).returning(columnList).all().map {
                try R(row: $0)
            }
        }
    }

    /// Like `softDeleteAll`, returning only how many rows went (cascades over thousands of rows
    /// need not read them back).
    @discardableResult
    public func softDeleteCount(_ filter: Filter, deletedBy: String? = nil, deletionID: UUID) async throws -> Int {
        let predicate = try predicate(filter, includeDeleted: false)
        let engine = executor.engine
        return try await executor.write { sql in
            let update = trashing(sql, predicate, deletedBy: deletedBy, deletionID: deletionID)
            return try await Self.changedRows(update, on: sql, engine: engine)
        }
    }

    /// Runs `update` and says how many rows it changed, without shipping them back: SQLite's
    /// `changes()` on the same connection, PostgreSQL's `RETURNING` of the ids.
    private static func changedRows(_ update: SQLUpdateBuilder, on sql: any SQLDatabase, engine: DatabaseEngine) async throws -> Int {
        if engine == .sqlite {
            try await update.run()
            return try await sql.raw("SELECT changes() AS n").first()?.decode(column: "n", as: Int.self) ?? 0
        }
        return try await update.returning(SQLIdentifier("id")).all().count
    }

    /// `UPDATE … SET deleted_at, deleted_by, deletion_id, version + 1, updated_at WHERE predicate`.
    private func trashing(_ sql: any SQLDatabase, _ predicate: any SQLExpression, deletedBy: String?, deletionID: UUID) -> SQLUpdateBuilder
    {
        let now = DatabaseValue(Timestamp.now()).expression
        return sql.update(R.table)
            .set(SQLIdentifier("deleted_at"), to: now)
            .set(SQLIdentifier("deleted_by"), to: DatabaseValue(deletedBy).expression)
            .set(SQLIdentifier("deletion_id"), to: DatabaseValue(deletionID).expression)
            .set(SQLIdentifier("version"), to: SQLRaw("\"version\" + 1"))
            .set(SQLIdentifier("updated_at"), to: now)
            .where(predicate)
    }

    /// Like `restoreAll`, returning only how many rows came back.
    @discardableResult
    public func restoreCount(_ filter: Filter) async throws -> Int {
        let predicate = try predicate(filter.and(.isNotNull("deleted_at")), includeDeleted: true)
        let engine = executor.engine
        return try await executor.write { sql in
            try await Self.changedRows(restoring(sql, predicate), on: sql, engine: engine)
        }
    }

    /// `UPDATE … SET deleted_at = NULL, …, version + 1, updated_at WHERE predicate`.
    private func restoring(_ sql: any SQLDatabase, _ predicate: any SQLExpression) -> SQLUpdateBuilder {
        sql.update(R.table)
            .set(SQLIdentifier("deleted_at"), to: SQLLiteral.null)
            .set(SQLIdentifier("deleted_by"), to: SQLLiteral.null)
            .set(SQLIdentifier("deletion_id"), to: SQLLiteral.null)
            .set(SQLIdentifier("version"), to: SQLRaw("\"version\" + 1"))
            .set(SQLIdentifier("updated_at"), to: DatabaseValue(Timestamp.now()).expression)
            .where(predicate)
    }

    /// Brings a trashed row back. A live row is 409; a missing one 404.
    @discardableResult
    public func restore(id: UUID) async throws -> R {
        let restored = try await restoreAll(.equals("id", DatabaseValue(id)))
        if let row = restored.first { return row }
        _ = try await get(id: id, includeDeleted: true)
        throw AppError(.conflict, "\(R.resource.displayName) \(id.uuidString.lowercased()) is not in the trash")
    }

    /// Set-based restore, e.g. every row of one deletion: `.equals("deletion_id", …)`.
    @discardableResult
    public func restoreAll(_ filter: Filter) async throws -> [R] {
        let predicate = try predicate(filter.and(.isNotNull("deleted_at")), includeDeleted: true)
        return try await executor.write { sql in
            try await restoring(sql, predicate).returning(columnList).all().map { try R(row: $0) }
        }
    }

    /// Removes a trashed row for good. Live rows are never purged (nothing is lost by mistake).
    public func purge(id: UUID) async throws -> Bool {
        try await purgeAll(.equals("id", DatabaseValue(id))) == 1
    }

    /// Removes every trashed row matching `filter`; returns how many.
    @discardableResult
    public func purgeAll(_ filter: Filter) async throws -> Int {
        let predicate = try predicate(filter.and(.isNotNull("deleted_at")), includeDeleted: true)
        return try await executor.write { sql in
            try await sql.delete(from: R.table).where(predicate).returning(SQLIdentifier("id")).all().count
        }
    }

    // MARK: - SQL

    /// The WHERE clause for `filter`, plus `deleted_at IS NULL` unless trashed rows are wanted.
    func predicate(_ filter: Filter, includeDeleted: Bool) throws -> any SQLExpression {
        for column in filter.columns where !R.isColumn(column) {
            throw ProgrammingError(description: "\(column) is not a column of \(R.table)")
        }
        var parts: [any SQLExpression] = includeDeleted ? [] : [SQLBinaryExpression(SQLIdentifier("deleted_at"), .is, SQLLiteral.null)]
        for condition in filter.conditions {
            switch condition {
            case .equals(let column, .null):
                parts.append(SQLBinaryExpression(SQLIdentifier(column), .is, SQLLiteral.null))
            case .equals(let column, let value):
                parts.append(SQLBinaryExpression(SQLIdentifier(column), .equal, value.expression))
            case .notEquals(let column, .null):
                parts.append(SQLBinaryExpression(SQLIdentifier(column), .isNot, SQLLiteral.null))
            case .notEquals(let column, let value):
                parts.append(SQLBinaryExpression(SQLIdentifier(column), .notEqual, value.expression))
            case .isNull(let column):
                parts.append(SQLBinaryExpression(SQLIdentifier(column), .is, SQLLiteral.null))
            case .isNotNull(let column):
                parts.append(SQLBinaryExpression(SQLIdentifier(column), .isNot, SQLLiteral.null))
            case .contains(let column, let text):
                let escaped = text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
                    .replacingOccurrences(of: "_", with: "\\_")
                let like = executor.engine == .postgresql ? "ILIKE" : "LIKE"
                parts.append(
                    SQLList(
                        [SQLIdentifier(column), SQLRaw(like), SQLBind("%\(escaped)%"), SQLRaw("ESCAPE '\\'")], separator: SQLRaw(" ")
                    )
                )
            case .inSelect(let column, let table, let selecting, let whereColumn, let value):
                let subquery = SQLSubquery.select { sub in
                    sub.column(SQLIdentifier(selecting)).from(table).where(SQLIdentifier(whereColumn), .equal, value.expression)
                }
                parts.append(SQLBinaryExpression(SQLIdentifier(column), .in, SQLGroupExpression(subquery)))
            case .equalsOrNull(let column, let value):
                parts.append(
                    SQLGroupExpression(
                        SQLBinaryExpression(
                            SQLBinaryExpression(SQLIdentifier(column), .equal, value.expression), .or,
                            SQLBinaryExpression(SQLIdentifier(column), .is, SQLLiteral.null)
                        )
                    )
                )
            case .oneOf(let column, let values):
                if values.isEmpty {
                    parts.append(SQLRaw("1 = 0"))
                } else {
                    parts.append(SQLBinaryExpression(SQLIdentifier(column), .in, SQLGroupExpression(SQLList(values.map(\.expression)))))
                }
            }
        }
        guard var result = parts.first else { return SQLRaw("1 = 1") }
        for part in parts.dropFirst() {
            result = SQLBinaryExpression(result, .and, part)
        }
        return result
    }
}

/// A repository called with a column its table lacks: a bug in our code. It reaches clients as
/// a plain 500 (the error middleware's default), with the detail only in the log.
struct ProgrammingError: Error, CustomStringConvertible {
    let description: String
}
