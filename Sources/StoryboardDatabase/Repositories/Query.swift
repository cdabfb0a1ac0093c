import Foundation
import SQLKit
import StoryboardCore

/// Which rows: conditions joined with AND. Column names come from code, never from a request.
public struct Filter: Sendable {
    public enum Condition: Sendable {
        case equals(String, DatabaseValue)
        case notEquals(String, DatabaseValue)
        case isNull(String)
        case isNotNull(String)
        /// Case-insensitive substring match.
        case contains(String, String)
        case oneOf(String, [DatabaseValue])
        /// `column = value OR column IS NULL`.
        case equalsOrNull(String, DatabaseValue)
        /// `column IN (SELECT selecting FROM table WHERE whereColumn = value)`; every name from code.
        case inSelect(String, table: String, selecting: String, whereColumn: String, value: DatabaseValue)
    }

    public var conditions: [Condition]

    public init(_ conditions: [Condition] = []) { self.conditions = conditions }

    public static let all = Filter()
    public static func equals(_ column: String, _ value: DatabaseValue) -> Filter { Filter([.equals(column, value)]) }

    public func and(_ condition: Condition) -> Filter { Filter(conditions + [condition]) }

    var columns: [String] {
        conditions.map {
            switch $0 {
            case .equals(let c, _), .notEquals(let c, _), .isNull(let c), .isNotNull(let c), .contains(let c, _), .oneOf(let c, _),
                .equalsOrNull(let c, _),
                .inSelect(let c, _, _, _, _):
                c
            }
        }
    }
}

/// Listing order; the id breaks ties so keyset pages are stable.
public struct Sort: Sendable, Equatable {
    public var column: String
    public var descending: Bool

    public init(_ column: String, descending: Bool) {
        self.column = column
        self.descending = descending
    }

    public static let newestFirst = Sort("created_at", descending: true)
    public static let recentlyUpdated = Sort("updated_at", descending: true)
}

/// One page of a listing and the cursor for the next, if any.
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    public var nextCursor: String?

    public init(items: [Item], nextCursor: String?) {
        self.items = items
        self.nextCursor = nextCursor
    }
}

/// The position after the last row of a page: its sort value and id. Opaque to clients
/// (base64url of a few separated fields, no JSON coder on this per-page path); a cursor from
/// another listing or order is refused.
struct KeysetCursor: Equatable {
    var column: String
    var descending: Bool
    var text: String?
    var number: Double?
    var id: String

    private static let separator: Character = "\u{1F}"

    init(sort: Sort, value: DatabaseValue, id: UUID) {
        column = sort.column
        descending = sort.descending
        self.id = id.uuidString.lowercased()
        switch value {
        case .text(let value): text = value
        case .integer(let value): number = Double(value)
        case .real(let value): number = value
        case .bool(let value): number = value ? 1 : 0
        case .null: break
        }
    }

    private init(column: String, descending: Bool, text: String?, number: Double?, id: String) {
        self.column = column
        self.descending = descending
        self.text = text
        self.number = number
        self.id = id
    }

    var value: DatabaseValue {
        if let text { return .text(text) }
        if let number { return .real(number) }
        return .null
    }

    /// `column ␟ d|a ␟ t|n ␟ value ␟ id`, base64url without padding.
    func encoded() -> String {
        let kind = text != nil ? "t" : "n"
        let value = text ?? number.map { String($0) } ?? ""
        let fields = [column, descending ? "d" : "a", kind, value, id].joined(separator: String(Self.separator))
        return Data(fields.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ text: String, expecting sort: Sort, kind: SortKind) throws -> KeysetCursor {
        let invalid = AppError.invalidParameter("cursor", "is not a cursor this server issued")
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard text.count <= 2048, let data = Data(base64Encoded: base64), let decoded = String(data: data, encoding: .utf8) else {
            throw invalid
        }
        let fields = decoded.split(separator: separator, omittingEmptySubsequences: false).map(String.init)
        guard fields.count == 5, fields[1] == "d" || fields[1] == "a", UUID(parsing: fields[4]) != nil else { throw invalid }
        let cursor: KeysetCursor
        switch fields[2] {
        case "t":
            cursor = KeysetCursor(column: fields[0], descending: fields[1] == "d", text: fields[3], number: nil, id: fields[4])
        case "n":
            guard let number = Double(fields[3]), number.isFinite else { throw invalid }
            cursor = KeysetCursor(column: fields[0], descending: fields[1] == "d", text: nil, number: number, id: fields[4])
        default:
            throw invalid
        }
        guard cursor.column == sort.column, cursor.descending == sort.descending else {
            throw AppError.invalidParameter("cursor", "belongs to a listing in another order")
        }
        // A number where the column holds text (or the reverse) would fail in the database.
        guard (kind == .text) == (cursor.text != nil) else { throw invalid }
        return cursor
    }
}

/// Assignments of a partial update. Only the table's own columns may be set; metadata is managed.
public struct Changes: Sendable {
    public private(set) var assignments: [(column: String, value: DatabaseValue)] = []

    public init() {}

    public init(_ assignments: [String: DatabaseValue]) {
        for (column, value) in assignments.sorted(by: { $0.key < $1.key }) { set(column, value) }
    }

    public mutating func set(_ column: String, _ value: DatabaseValue) {
        assignments.removeAll { $0.column == column }
        assignments.append((column, value))
    }

    public var isEmpty: Bool { assignments.isEmpty }
}
