import Foundation
import SQLKit
import StoryboardCore

/// Rows kept in a dense order (0, 1, 2, …) within a scope — scenes in a project, clips in a
/// scene — and that may have alternates, which stay out of that order.
///
/// The order is unique among live primaries (a partial unique index); the methods that move
/// several rows run two statements and must be called inside a transaction.
public protocol OrderedRecord: Record {
    static var orderScopeColumn: String { get }
    static var alternateParentColumn: String { get }
    var order: Int { get }
    var orderScope: UUID { get }
    var alternateParent: UUID? { get }
}

extension BaseRepository {
    /// Every row matching `filter` (no paging: for the bounded children of one parent), in
    /// `orderBy` order, ties broken by id.
    public func all(_ filter: Filter = .all, orderBy column: String = "created_at", includeDeleted: Bool = false) async throws -> [R] {
        guard R.isColumn(column) else { throw ProgrammingError(description: "\(column) is not a column of \(R.table)") }
        let predicate = try predicate(filter, includeDeleted: includeDeleted)
        return try await executor.read { sql in
            try await sql.select().columns(SQLRaw(ColumnLists.quoted(R.self))).from(R.table).where(predicate)
                .orderBy(column).orderBy("id").all()
                .map { try R(row: $0) }
        }
    }
}

extension BaseRepository where R: OrderedRecord {
    private func primariesPredicate(in scope: UUID, extra: (any SQLExpression)? = nil) throws -> any SQLExpression {
        let filter = Filter.equals(R.orderScopeColumn, DatabaseValue(scope)).and(.isNull(R.alternateParentColumn))
        let base = try predicate(filter, includeDeleted: false)
        return extra.map { SQLBinaryExpression(base, .and, $0) } ?? base
    }

    /// The live primaries of `scope` in order.
    public func primaries(in scope: UUID) async throws -> [R] {
        try await all(Filter.equals(R.orderScopeColumn, DatabaseValue(scope)).and(.isNull(R.alternateParentColumn)), orderBy: "order")
    }

    public func primaryCount(in scope: UUID) async throws -> Int {
        try await count(Filter.equals(R.orderScopeColumn, DatabaseValue(scope)).and(.isNull(R.alternateParentColumn)))
    }

    /// Moves every live primary at `from` or later by `delta` (+1 to make room, −1 to close a
    /// hole). Through negative values, so the unique index never sees two rows on one order.
    public func shiftOrders(in scope: UUID, from: Int, by delta: Int) async throws {
        let order = SQLIdentifier("order")
        let now = DatabaseValue(Timestamp.now()).expression
        let atOrAfter = try primariesPredicate(
            in: scope, extra: SQLBinaryExpression(order, .greaterThanOrEqual, SQLLiteral.numeric("\(from)")))
        let negative = try primariesPredicate(in: scope, extra: SQLBinaryExpression(order, .lessThan, SQLLiteral.numeric("0")))
        try await executor.write { sql in
            // order → -(order + delta) - 1, then → -order - 1 = order + delta.
            try await sql.update(R.table)
                .set(order, to: SQLRaw("-(\"order\" + \(delta)) - 1"))
                .set(SQLIdentifier("version"), to: SQLRaw("\"version\" + 1"))
                .set(SQLIdentifier("updated_at"), to: now)
                .where(atOrAfter).run()
            try await sql.update(R.table).set(order, to: SQLRaw("-\"order\" - 1")).where(negative).run()
        }
    }

    /// Gives the live primaries of `scope` the orders 0… in the sequence of `ids` (a full
    /// permutation, checked by the caller).
    public func applyOrder(in scope: UUID, ids: [UUID]) async throws {
        guard !ids.isEmpty else { return }
        let order = SQLIdentifier("order")
        let all = try primariesPredicate(in: scope)
        var cases: [any SQLExpression] = [SQLRaw("CASE \"id\"")]
        for (index, id) in ids.enumerated() {
            cases += [SQLRaw("WHEN"), SQLBind(id.uuidString.lowercased()), SQLRaw("THEN"), SQLLiteral.numeric("\(index)")]
        }
        cases.append(SQLRaw("END"))
        let now = DatabaseValue(Timestamp.now()).expression
        try await executor.write { sql in
            try await sql.update(R.table).set(order, to: SQLRaw("-\"order\" - 1")).where(all).run()
            try await sql.update(R.table)
                .set(order, to: SQLList(cases, separator: SQLRaw(" ")))
                .set(SQLIdentifier("version"), to: SQLRaw("\"version\" + 1"))
                .set(SQLIdentifier("updated_at"), to: now)
                .where(all).run()
        }
    }

    /// The next free alternate number under `parent` (trashed alternates keep theirs).
    public func nextAlternateNumber(parent: UUID) async throws -> Int {
        let parentColumn = R.alternateParentColumn
        return try await executor.read { sql in
            let row = try await sql.select().column(SQLFunction("MAX", args: SQLIdentifier("alternate_number")), as: "n").from(R.table)
                .where(SQLIdentifier(parentColumn), .equal, SQLBind(parent.uuidString.lowercased())).first()
            return (try row?.optional("n", as: Int.self) ?? 0) + 1
        }
    }
}
