import Foundation

/// What a trash entry (and `DELETE /api/trash/{type}/{id}`) can be.
public enum TrashKind: String, Sendable, CaseIterable {
    case project, scene, clip, character
    case styleTemplate = "style_template"
    case galleryItem = "gallery_item"
    case characterImage = "character_image"
    case poolItem = "pool_item"
    case workflow
    case server
}

/// One delete: its root and when it happened. Every row it took carries the same `deletion_id`.
public struct Deletion: Sendable, Equatable {
    public var id: UUID
    public var rootType: TrashKind
    public var rootID: UUID
    public var rootName: String
    public var projectID: UUID?
    public var deletedAt: Timestamp
    public var deletedBy: String?
    /// How many rows the delete took, root included.
    public var itemCount: Int

    public init(
        id: UUID, rootType: TrashKind, rootID: UUID, rootName: String, projectID: UUID?, deletedAt: Timestamp, deletedBy: String?,
        itemCount: Int
    ) {
        self.id = id
        self.rootType = rootType
        self.rootID = rootID
        self.rootName = rootName
        self.projectID = projectID
        self.deletedAt = deletedAt
        self.deletedBy = deletedBy
        self.itemCount = itemCount
    }
}
