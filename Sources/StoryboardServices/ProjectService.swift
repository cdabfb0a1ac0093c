import Foundation
import StoryboardCore
import StoryboardDatabase

/// A partial change to a project: a field left nil is left alone; `description: .some(nil)` clears it.
public struct ProjectPatch: Sendable {
    public var name: String?
    public var description: String??

    public init(name: String? = nil, description: String?? = nil) {
        self.name = name
        self.description = description
    }
}

/// Project use cases. Deleting goes through the trash: the row is hidden, never removed.
public struct ProjectService: Sendable {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    public func list(nameContains query: String?, limit: Int, cursor: String?, includeDeleted: Bool = false) async throws -> Page<Project> {
        var filter = Filter.all
        if let query, !query.isEmpty { filter = filter.and(.contains("name", query)) }
        return try await database.projects.findMany(filter, sort: .newestFirst, limit: limit, cursor: cursor, includeDeleted: includeDeleted)
    }

    public func create(name: String, description: String?) async throws -> Project {
        var errors = FieldErrors()
        let name = errors.name(name)
        let description = errors.text(description, field: "description", max: Limits.description)
        try errors.throwIfAny()
        return try await database.projects.create(Project(name: name, description: description))
    }

    public func get(id: UUID, includeDeleted: Bool = false) async throws -> Project {
        try await database.projects.get(id: id, includeDeleted: includeDeleted)
    }

    public func update(id: UUID, _ patch: ProjectPatch, expectedVersion: Int?) async throws -> Project {
        var errors = FieldErrors()
        var changes = Changes()
        if let name = patch.name { changes.set("name", .text(errors.name(name))) }
        if let description = patch.description {
            changes.set("description", DatabaseValue(errors.text(description, field: "description", max: Limits.description)))
        }
        try errors.throwIfAny()
        return try await database.projects.update(id: id, changes, expectedVersion: expectedVersion)
    }

    /// Moves the project to the trash (with everything under it, as later tables join the cascade).
    public func delete(id: UUID, expectedVersion: Int?) async throws {
        try await database.transaction { tx in
            // Locked until the transaction ends, so nothing changes between the check and the delete.
            let project = try await tx.projects.get(id: id, forUpdate: true)
            if let expectedVersion, project.meta.version != expectedVersion {
                throw AppError(
                    .preconditionFailed, "Project \(id.uuidString.lowercased()) was changed by someone else",
                    details: ["current_version": .number(Double(project.meta.version))]
                )
            }
            try await tx.projects.softDelete(id: id, deletionID: UUID())
        }
    }

    public func restore(id: UUID) async throws -> Project {
        try await database.transaction { tx in
            try await tx.projects.restore(id: id)
        }
    }
}
