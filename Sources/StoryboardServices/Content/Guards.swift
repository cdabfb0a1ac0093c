import Foundation
import StoryboardCore
import StoryboardDatabase

/// Checks shared by the content services, run inside their transactions.
extension Transaction {
    /// Locks the project row until the transaction ends and counts a change to its tree (the
    /// tree's ETag). Every change to a project's content takes this lock first, so orders,
    /// overlap checks and cascades never interleave on PostgreSQL (SQLite's single writer
    /// serialises them anyway). The one exception is a finishing job's results, which lock
    /// their clip or character instead and are counted apart (`JobResults`).
    @discardableResult
    func lockProject(_ id: UUID, includeDeleted: Bool = false) async throws -> Project {
        try await projects.lockForChange(id: id, includeDeleted: includeDeleted)
    }

    /// Reads a row, locks its project, and reads the row again, locked: what a check then sees
    /// cannot change until the transaction ends (on PostgreSQL the first read may be stale by
    /// the time the lock is granted). The row's own lock is for a finishing job, which changes
    /// its clip (the selection) under that row's lock, not the project's.
    func locked<R: Record>(
        _ repository: BaseRepository<R>, id: UUID, includeDeleted: Bool = false, project: (R) -> UUID?
    ) async throws -> R {
        let first = try await repository.get(id: id, includeDeleted: includeDeleted)
        guard let projectID = project(first) else { return first }
        try await lockProject(projectID, includeDeleted: includeDeleted)
        return try await repository.get(id: id, includeDeleted: includeDeleted, forUpdate: true)
    }

    /// The version check of `If-Match`, for changes made with something other than `update(id:)`.
    func checkVersion<R: Record>(_ record: R, expected: Int?) throws {
        if let expected, record.meta.version != expected {
            throw AppError(
                .preconditionFailed,
                "\(R.resource.displayName) \(record.meta.id.uuidString.lowercased()) was changed by someone else (version \(record.meta.version), expected \(expected))",
                details: ["current_version": .number(Double(record.meta.version))]
            )
        }
    }

    /// A character that may be linked to a clip of `projectID`: live and of the same project.
    func characterForClip(_ id: UUID?, projectID: UUID, field: String = "character_id") async throws -> ProjectCharacter? {
        guard let id else { return nil }
        guard let character = try await characters.find(id: id) else {
            throw AppError.validation([field: "is not a character of this project"])
        }
        guard character.projectID == projectID else { throw AppError.validation([field: "belongs to another project"]) }
        return character
    }
}

extension UUID {
    var lowercasedString: String { uuidString.lowercased() }
}

/// Validates that `ids` is exactly a permutation of `current`; a 400 naming the missing, extra
/// and repeated ids otherwise.
func checkPermutation(_ ids: [UUID], of current: [UUID], field: String) throws {
    let given = Set(ids)
    let existing = Set(current)
    let missing = current.filter { !given.contains($0) }
    let extra = ids.filter { !existing.contains($0) }
    var seen = Set<UUID>()
    let repeated = ids.filter { !seen.insert($0).inserted }
    guard missing.isEmpty, extra.isEmpty, repeated.isEmpty else {
        var parts: [String] = []
        if !missing.isEmpty { parts.append("missing \(missing.count)") }
        if !extra.isEmpty { parts.append("\(extra.count) not in the list") }
        if !repeated.isEmpty { parts.append("\(repeated.count) repeated") }
        throw AppError(
            .validationError,
            "\(field) must list every item exactly once (\(parts.joined(separator: ", ")))",
            details: [
                "fields": .object([field: .string("must be a permutation of the current items")]),
                "missing_ids": .array(missing.map { .string($0.lowercasedString) }),
                "extra_ids": .array(extra.map { .string($0.lowercasedString) }),
                "duplicate_ids": .array(repeated.map { .string($0.lowercasedString) }),
            ]
        )
    }
}
