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
    }

    public var conditions: [Condition]

    public init(_ conditions: [Condition] = []) { self.conditions = conditions }

    public static let all = Filter()
    public static func equals(_ column: String, _ value: DatabaseValue) -> Filter { Filter([.equals(column, value)]) }

    public func and(_ condition: Condition) -> Filter { Filter(conditions + [condition]) }

    var columns: [String] {
        conditions.map {
            switch $0 {
            case .equals(let c, _), .notEquals(let c, _), .isNull(let c), .isNotNull(let c), .contains(let c, _), .oneOf(let c, _): c
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
/// (base64url JSON); a cursor from another listing or order is refused.
struct KeysetCursor: Codable, Equatable {
    var column: String
    var descending: Bool
    var text: String?
    var number: Double?
    var id: String

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

    var value: DatabaseValue {
        if let text { return .text(text) }
        if let number { return .real(number) }
        return .null
    }

    func encoded() -> String {
        let data = (try? JSONEncoder().encode(self)) ?? Data()
        return data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ text: String, expecting sort: Sort) throws -> KeysetCursor {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard text.count <= 2048, let data = Data(base64Encoded: base64),
            let cursor = try? JSONDecoder().decode(KeysetCursor.self, from: data),
            UUID(uuidString: cursor.id) != nil, cursor.text != nil || cursor.number != nil
        else {
            throw AppError.invalidParameter("cursor", "is not a cursor this server issued")
        }
        guard cursor.column == sort.column, cursor.descending == sort.descending else {
            throw AppError.invalidParameter("cursor", "belongs to a listing in another order")
        }
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
