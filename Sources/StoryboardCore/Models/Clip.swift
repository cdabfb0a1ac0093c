import Foundation

/// A shot on the song's timeline. `timelinePosition` is absolute on the song (seconds).
/// `projectID` is a copy of the scene's, written in the same transaction as the scene link.
public struct Clip: Sendable, Equatable {
    public var meta: RecordMetadata
    public var projectID: UUID
    public var sceneID: UUID
    public var name: String
    public var lyrics: String?
    public var length: Double
    public var timelinePosition: Double
    public var order: Int
    public var imagePrompt: String?
    public var videoPrompt: String?
    public var negativePrompt: String?
    public var selectedImageID: UUID?
    public var selectedVideoID: UUID?
    public var characterID: UUID?
    public var styleTemplateID: UUID?
    public var activeVersion: Int?
    public var parentClipID: UUID?
    public var isAlternate: Bool
    public var alternateNumber: Int?

    public init(
        meta: RecordMetadata = RecordMetadata(), projectID: UUID, sceneID: UUID, name: String, lyrics: String? = nil, length: Double,
        timelinePosition: Double, order: Int, imagePrompt: String? = nil, videoPrompt: String? = nil, negativePrompt: String? = nil,
        selectedImageID: UUID? = nil, selectedVideoID: UUID? = nil, characterID: UUID? = nil, styleTemplateID: UUID? = nil,
        activeVersion: Int? = nil, parentClipID: UUID? = nil, alternateNumber: Int? = nil
    ) {
        self.meta = meta
        self.projectID = projectID
        self.sceneID = sceneID
        self.name = name
        self.lyrics = lyrics
        self.length = length
        self.timelinePosition = timelinePosition
        self.order = order
        self.imagePrompt = imagePrompt
        self.videoPrompt = videoPrompt
        self.negativePrompt = negativePrompt
        self.selectedImageID = selectedImageID
        self.selectedVideoID = selectedVideoID
        self.characterID = characterID
        self.styleTemplateID = styleTemplateID
        self.activeVersion = activeVersion
        self.parentClipID = parentClipID
        self.isAlternate = parentClipID != nil
        self.alternateNumber = alternateNumber
    }

    public var end: Double { timelinePosition + length }
}
