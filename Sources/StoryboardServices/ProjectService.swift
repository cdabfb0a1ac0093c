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
    let media: MediaStore?

    public init(database: Database, media: MediaStore? = nil) {
        self.database = database
        self.media = media
    }

    public func list(nameContains query: String?, limit: Int, cursor: String?, includeDeleted: Bool = false) async throws -> Page<Project> {
        var filter = Filter.all
        if let query, !query.isEmpty { filter = filter.and(.contains("name", query)) }
        return try await database.projects.findMany(
            filter, sort: .newestFirst, limit: limit, cursor: cursor, includeDeleted: includeDeleted)
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

    /// Moves the project to the trash with everything under it (TrashService).
    public func delete(id: UUID, expectedVersion: Int?) async throws {
        try await TrashService(database: database).delete(.project, id: id, expectedVersion: expectedVersion)
    }

    public func restore(id: UUID) async throws -> Project {
        try await TrashService(database: database).restore(.project, id: id)
        return try await database.projects.get(id: id)
    }

    /// Sets the project's song from an upload (MP3, WAV, FLAC, Ogg, Opus or M4A, decided from the
    /// bytes). The file is in the media store before the row points at it; the file it replaces
    /// stays until nothing (live or trashed) refers to it.
    public func uploadMusic<Chunks: AsyncSequence>(
        id: UUID, _ chunks: Chunks, declaredLength: Int?, expectedVersion: Int?
    ) async throws -> Project where Chunks.Element == [UInt8] {
        guard let media else { throw AppError(.serviceUnavailable, "The media store is not configured") }
        _ = try await get(id: id)
        return try await MediaCatalog(store: media, database: database).accept(chunks, expected: .audio, declaredLength: declaredLength) {
            received in
            try await setMusic(id: id, received, expectedVersion: expectedVersion)
        }
    }

    private func setMusic(id: UUID, _ received: ReceivedMedia, expectedVersion: Int?) async throws -> Project {
        try await database.transaction { tx in
            let project = try await tx.lockProject(id)
            try tx.checkVersion(project, expected: expectedVersion)
            try await tx.mediaFiles.register(received.file)
            return try await tx.projects.update(
                id: id,
                Changes([
                    "music_media_id": .text(received.file.id), "music_file_path": .text(received.file.relativePath),
                    "music_duration": DatabaseValue(received.duration),
                ])
            )
        }
    }

    /// The song's file, or 404 when the project has none.
    public func music(of id: UUID) async throws -> MediaFile {
        let project = try await database.projects.get(id: id)
        guard let mediaID = project.musicMediaID, let file = try await database.mediaFiles.find(id: mediaID) else {
            throw AppError(
                .resourceNotFound, "Project \(id.uuidString.lowercased()) has no music yet",
                details: ["resource": "music", "id": .string(id.uuidString.lowercased())])
        }
        return file
    }

    /// A gallery item's, reference image's, pool item's or finished render's file.
    public func mediaFile(itemID: UUID) async throws -> MediaFile {
        var fileID: String?
        if let item = try await database.galleryItems.find(id: itemID) {
            fileID = item.mediaFileID
        } else if let image = try await database.characterImages.find(id: itemID) {
            fileID = image.mediaFileID
        } else if let item = try await database.poolItems.find(id: itemID) {
            fileID = item.mediaFileID
        } else if let render = try await database.renders.find(id: itemID), render.status == .succeeded {
            // A finished render's MP4: its id is the render's `media_id`.
            fileID = render.mediaFileID
        }
        guard let fileID, let file = try await database.mediaFiles.find(id: fileID) else {
            throw AppError.notFound(.media, id: itemID.uuidString.lowercased())
        }
        return file
    }
}
