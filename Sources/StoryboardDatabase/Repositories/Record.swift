import Foundation
import SQLKit
import StoryboardCore

/// A value bound into a statement; the same on both engines.
public enum DatabaseValue: Sendable, Equatable, Hashable {
    case text(String)
    case integer(Int)
    case real(Double)
    case bool(Bool)
    case null

    var expression: any SQLExpression {
        switch self {
        case .text(let value): SQLBind(value)
        case .integer(let value): SQLBind(value)
        case .real(let value): SQLBind(value)
        case .bool(let value): SQLBind(value)
        case .null: SQLLiteral.null
        }
    }

    public init(_ value: String?) { self = value.map(DatabaseValue.text) ?? .null }
    public init(_ value: Double?) { self = value.map(DatabaseValue.real) ?? .null }
    public init(_ value: Int?) { self = value.map(DatabaseValue.integer) ?? .null }
    public init(_ value: UUID?) { self = value.map { .text($0.uuidString.lowercased()) } ?? .null }
    public init(_ value: Timestamp?) { self = value.map { .text($0.description) } ?? .null }
}

/// How a sort column's values compare, so a cursor of the wrong kind is refused up front.
public enum SortKind: Sendable {
    case text, number
}

/// A row type a `BaseRepository` can store: the metadata columns every table has, plus its own.
public protocol Record: Sendable {
    static var table: String { get }
    static var resource: ResourceKind { get }
    /// The table's own columns, in the order of `values`; the metadata columns are implied.
    static var columns: [String] { get }
    /// Own columns (never null) a listing may be sorted by, with how their values compare;
    /// `created_at` and `updated_at` (text) always can.
    static var sortableColumns: [String: SortKind] { get }

    var meta: RecordMetadata { get set }
    var values: [DatabaseValue] { get }
    init(meta: RecordMetadata, row: any SQLRow) throws
}

extension Record {
    static var metadataColumns: [String] { ["id", "created_at", "updated_at", "version", "deleted_at", "deleted_by", "deletion_id"] }
    static var allColumns: [String] { metadataColumns + columns }

    static func isColumn(_ name: String) -> Bool { allColumns.contains(name) }

    static func sortKind(_ column: String) -> SortKind? {
        column == "created_at" || column == "updated_at" ? .text : sortableColumns[column]
    }

    var metadataValues: [DatabaseValue] {
        [
            DatabaseValue(meta.id), DatabaseValue(meta.createdAt), DatabaseValue(meta.updatedAt), .integer(meta.version),
            DatabaseValue(meta.deletedAt), DatabaseValue(meta.deletedBy), DatabaseValue(meta.deletionID),
        ]
    }

    /// The value a keyset cursor records for `column`.
    func sortValue(_ column: String) -> DatabaseValue? {
        switch column {
        case "created_at": return DatabaseValue(meta.createdAt)
        case "updated_at": return DatabaseValue(meta.updatedAt)
        default:
            guard let index = Self.columns.firstIndex(of: column) else { return nil }
            return values[index]
        }
    }

    init(row: any SQLRow) throws {
        try self.init(meta: RecordMetadata(row: row), row: row)
    }
}

extension RecordMetadata {
    init(row: any SQLRow) throws {
        self.init(
            id: try row.uuid("id"),
            createdAt: try row.timestamp("created_at"),
            updatedAt: try row.timestamp("updated_at"),
            version: try row.decode(column: "version", as: Int.self),
            deletedAt: try row.optionalTimestamp("deleted_at"),
            deletedBy: try row.optional("deleted_by", as: String.self),
            deletionID: try row.optionalUUID("deletion_id")
        )
    }
}

/// Column readers that turn unreadable stored data into a clear error instead of a crash.
extension SQLRow {
    /// A nullable column. Checking for null first keeps the drivers on their fast path:
    /// `Optional<T>` goes through a generic `Decoder` in sqlite-kit, `T` does not.
    public func optional<T: Decodable>(_ column: String, as type: T.Type) throws -> T? {
        try decodeNil(column: column) ? nil : decode(column: column, as: T.self)
    }

    public func uuid(_ column: String) throws -> UUID {
        guard let value = try optionalUUID(column) else { throw StoredDataError(column: column, problem: "is null") }
        return value
    }

    public func optionalUUID(_ column: String) throws -> UUID? {
        guard let text = try optional(column, as: String.self) else { return nil }
        guard let value = UUID(parsing: text) else { throw StoredDataError(column: column, problem: "is not a UUID") }
        return value
    }

    public func timestamp(_ column: String) throws -> Timestamp {
        guard let value = try optionalTimestamp(column) else { throw StoredDataError(column: column, problem: "is null") }
        return value
    }

    public func optionalTimestamp(_ column: String) throws -> Timestamp? {
        guard let text = try optional(column, as: String.self) else { return nil }
        guard let value = Timestamp(rfc3339: text) else { throw StoredDataError(column: column, problem: "is not an RFC 3339 time") }
        return value
    }
}

/// A stored value that cannot be read back: a bug or a hand-edited database, never the client's fault.
struct StoredDataError: Error, CustomStringConvertible {
    let column: String
    let problem: String
    var description: String { "stored column \(column) \(problem)" }
}
