import Foundation

/// A section of the song. Primary scenes are ordered within their project; an alternate
/// (`parentSceneID` set) is a variant of one primary and stays out of that order.
public struct Scene: Sendable, Equatable {
    public var meta: RecordMetadata
    public var projectID: UUID
    public var name: String
    public var description: String?
    public var lyrics: String?
    public var order: Int
    public var parentSceneID: UUID?
    public var isAlternate: Bool
    public var alternateNumber: Int?

    public init(
        meta: RecordMetadata = RecordMetadata(), projectID: UUID, name: String, description: String? = nil, lyrics: String? = nil,
        order: Int, parentSceneID: UUID? = nil, alternateNumber: Int? = nil
    ) {
        self.meta = meta
        self.projectID = projectID
        self.name = name
        self.description = description
        self.lyrics = lyrics
        self.order = order
        self.parentSceneID = parentSceneID
        self.isAlternate = parentSceneID != nil
        self.alternateNumber = alternateNumber
    }
}
