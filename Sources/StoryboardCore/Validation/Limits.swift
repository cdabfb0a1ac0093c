import Foundation

/// Field limits users of the old system relied on (docs/domain.md). The OpenAPI document states them too.
public enum Limits {
    public static let name = 1...200
    public static let description = 2000
    public static let lyricsOrPrompt = 5000
    public static let listPageSize = 1...500
    public static let defaultPageSize = 50
    public static let triggerWords = 500
    public static let timelinePosition = 0.0...10_000.0
}

/// Collects every problem with a request body before answering, so a client learns all of
/// them at once (`details.fields`).
public struct FieldErrors: Sendable {
    public private(set) var fields: [String: String] = [:]

    public init() {}

    public mutating func add(_ field: String, _ reason: String) {
        if fields[field] == nil { fields[field] = reason }
    }

    public var isEmpty: Bool { fields.isEmpty }

    public func throwIfAny() throws {
        if !fields.isEmpty { throw AppError.validation(fields) }
    }

    /// A display name: trimmed, 1–200 characters.
    public mutating func name(_ value: String, field: String = "name") -> String {
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty {
            add(field, "must not be empty")
        } else if trimmed.unicodeScalars.count > Limits.name.upperBound {
            // Code points, as the databases count them (an emoji may be several).
            add(field, "must be at most \(Limits.name.upperBound) characters")
        } else if trimmed.unicodeScalars.contains("\u{0}") {
            add(field, "must not contain NUL characters")
        }
        return trimmed
    }

    /// A clip length: more than 0 and finite.
    public mutating func length(_ value: Double, field: String = "length") -> Double {
        if !(value > 0) || !value.isFinite || value > Limits.timelinePosition.upperBound {
            add(field, "must be more than 0 and at most 10000 seconds")
        }
        return value
    }

    public mutating func position(_ value: Double, field: String = "timeline_position") -> Double {
        if !value.isFinite || !Limits.timelinePosition.contains(value) { add(field, "must be from 0 to 10000 seconds") }
        return value
    }

    public mutating func order(_ value: Int, field: String = "order") -> Int {
        if value < 0 { add(field, "must be 0 or more") }
        return value
    }

    public mutating func triggerWords(_ words: [String], field: String = "trigger_words") -> [String] {
        let cleaned = words.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
        if cleaned.reduce(0, { $0 + $1.count }) > Limits.triggerWords {
            add(field, "must be at most \(Limits.triggerWords) characters together")
        }
        return cleaned
    }

    public mutating func text(_ value: String?, field: String, max: Int) -> String? {
        guard let value else { return nil }
        if value.unicodeScalars.count > max { add(field, "must be at most \(max) characters") }
        if value.unicodeScalars.contains("\u{0}") { add(field, "must not contain NUL characters") }
        return value
    }
}
