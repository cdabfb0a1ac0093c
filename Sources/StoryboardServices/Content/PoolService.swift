import Foundation
import StoryboardCore
import StoryboardDatabase

/// What `PATCH /api/pool/{id}` may change; nil leaves a field as it is.
public struct PoolItemPatch: Sendable {
    public var name: String?
    public var description: String??
    public var tags: [String]?
    public var metadata: JSONValue?

    public init(name: String? = nil, description: String?? = nil, tags: [String]? = nil, metadata: JSONValue? = nil) {
        self.name = name
        self.description = description
        self.tags = tags
        self.metadata = metadata
    }
}

/// Filters of `GET /api/projects/{id}/pool`.
public struct PoolQuery: Sendable {
    public var contentType: MediaKind?
    public var sourceType: PoolSource?
    public var includeDeleted: Bool

    public init(contentType: MediaKind? = nil, sourceType: PoolSource? = nil, includeDeleted: Bool = false) {
        self.contentType = contentType
        self.sourceType = sourceType
        self.includeDeleted = includeDeleted
    }
}

/// A project's generation pool: media kept for later, placed on clips by `apply`.
public struct PoolService: Sendable {
    public let database: Database
    let media: MediaStore?

    public init(database: Database, media: MediaStore? = nil) {
        self.database = database
        self.media = media
    }

    /// Newest first.
    public func list(projectID: UUID, _ query: PoolQuery, limit: Int, cursor: String?) async throws -> Page<PoolItem> {
        _ = try await database.projects.get(id: projectID)
        var filter = Filter.equals("project_id", DatabaseValue(projectID))
        if let kind = query.contentType { filter = filter.and(.equals("content_type", .text(kind.rawValue))) }
        if let source = query.sourceType { filter = filter.and(.equals("source_type", .text(source.rawValue))) }
        return try await database.poolItems.findMany(
            filter, sort: Sort("created_at", descending: true), limit: limit, cursor: cursor, includeDeleted: query.includeDeleted
        )
    }

    public func get(id: UUID, includeDeleted: Bool = false) async throws -> PoolItem {
        try await database.poolItems.get(id: id, includeDeleted: includeDeleted)
    }

    /// An uploaded still or video (its type decided from the bytes), kept in the pool.
    public func upload<Chunks: AsyncSequence>(
        projectID: UUID, _ chunks: Chunks, declaredLength: Int?, name: String?, description: String?, tags: [String]
    ) async throws -> PoolItem where Chunks.Element == [UInt8] {
        guard let media else { throw AppError(.serviceUnavailable, "The media store is not configured") }
        return try await MediaCatalog(store: media, database: database).accept(chunks, expected: .generated, declaredLength: declaredLength)
        { received in
            try await add(projectID: projectID, file: received.file, name: name, description: description, tags: tags)
        }
    }

    /// An uploaded still or video, kept in the pool. The file is registered in the same
    /// transaction as the row that refers to it.
    public func add(projectID: UUID, file: MediaFile, name: String?, description: String?, tags: [String]) async throws -> PoolItem {
        var errors = FieldErrors()
        let kind: MediaKind = file.contentType.hasPrefix("video/") || file.contentType == "image/gif" ? .video : .image
        let cleanName = errors.name(name ?? "Upload")
        let cleanDescription = errors.text(description, field: "description", max: Limits.description)
        let cleanTags = Self.tags(tags, &errors)
        try errors.throwIfAny()
        return try await database.transaction { tx in
            _ = try await tx.lockProject(projectID)
            try await tx.mediaFiles.register(file)
            return try await tx.poolItems.create(
                PoolItem(
                    projectID: projectID, name: cleanName, description: cleanDescription, contentType: kind, sourceType: .manualUpload,
                    mediaFileID: file.id, tags: cleanTags
                )
            )
        }
    }

    public func update(id: UUID, _ patch: PoolItemPatch, expectedVersion: Int?) async throws -> PoolItem {
        var errors = FieldErrors()
        var changes = Changes()
        if let name = patch.name { changes.set("name", .text(errors.name(name))) }
        if let value = patch.description {
            changes.set("description", DatabaseValue(errors.text(value, field: "description", max: Limits.description)))
        }
        if let tags = patch.tags { changes.set("tags", .text(JSONText.encode(Self.tags(tags, &errors)))) }
        if let metadata = patch.metadata {
            guard case .object = metadata else { throw AppError.validation(["metadata": "must be an object"]) }
            let text = metadata.text
            if text.utf8.count > Limits.lyricsOrPrompt { errors.add("metadata", "must be at most \(Limits.lyricsOrPrompt) bytes of JSON") }
            changes.set("metadata", .text(text))
        }
        try errors.throwIfAny()
        return try await database.poolItems.update(id: id, changes, expectedVersion: expectedVersion)
    }

    /// Copies the item into a clip's gallery (same stored file, a new gallery row carrying its
    /// prompt, seed and parameters); the first of its kind becomes the clip's selection. A clip
    /// of another project is 400. The pool item stays.
    public func apply(itemID: UUID, toClip clipID: UUID) async throws -> (item: GalleryItem, selected: Bool) {
        try await database.transaction { tx in
            let poolItem = try await tx.locked(tx.poolItems, id: itemID) { $0.projectID }
            guard let clip = try await tx.clips.find(id: clipID) else {
                throw AppError.validation(["clip_id": "is not a clip of this project"])
            }
            guard clip.projectID == poolItem.projectID else { throw AppError.validation(["clip_id": "belongs to another project"]) }
            let info = JSONValue(text: poolItem.metadata)
            let item = try await tx.galleryItems.create(
                GalleryItem(
                    projectID: clip.projectID, clipID: clipID, contentType: poolItem.contentType, mediaFileID: poolItem.mediaFileID,
                    prompt: info?["prompt"]?.stringValue, negativePrompt: info?["negative_prompt"]?.stringValue,
                    seed: info?["seed"]?.doubleValue.map { Int($0) },
                    serverID: info?["server_id"]?.stringValue.flatMap(UUID.init(parsing:)),
                    serverName: info?["server_name"]?.stringValue, modelName: info?["model_name"]?.stringValue,
                    modelType: info?["model_type"]?.stringValue, generationParams: poolItem.generationParams
                )
            )
            let column = item.contentType == .image ? "selected_image_id" : "selected_video_id"
            let selected =
                try await tx.clips.updateOne(
                    Filter.equals("id", DatabaseValue(clipID)).and(.isNull(column)), Changes([column: DatabaseValue(item.meta.id)])) != nil
            return (item, selected)
        }
    }

    /// Up to 50 tags of 1–50 characters, trimmed, duplicates dropped (first kept).
    static func tags(_ tags: [String], _ errors: inout FieldErrors) -> [String] {
        var seen = Set<String>()
        let cleaned = tags.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty && seen.insert($0).inserted }
        if cleaned.count > PoolItem.maxTags { errors.add("tags", "must be at most \(PoolItem.maxTags) tags") }
        if cleaned.contains(where: { $0.count > PoolItem.maxTagLength }) {
            errors.add("tags", "each tag must be at most \(PoolItem.maxTagLength) characters")
        }
        return cleaned
    }
}
