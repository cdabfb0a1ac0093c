import Foundation

/// A snapshot of a clip's prompts, selection and timing; `number` counts from 1 per clip.
public struct ClipVersion: Sendable, Equatable {
    public var meta: RecordMetadata
    public var projectID: UUID
    public var clipID: UUID
    public var number: Int
    public var imagePrompt: String?
    public var videoPrompt: String?
    public var negativePrompt: String?
    public var selectedImageID: UUID?
    public var selectedVideoID: UUID?
    public var length: Double
    public var timelinePosition: Double
    public var generationParams: String?

    public init(
        meta: RecordMetadata = RecordMetadata(), projectID: UUID, clipID: UUID, number: Int, imagePrompt: String?, videoPrompt: String?,
        negativePrompt: String?, selectedImageID: UUID?, selectedVideoID: UUID?, length: Double, timelinePosition: Double,
        generationParams: String? = nil
    ) {
        self.meta = meta
        self.projectID = projectID
        self.clipID = clipID
        self.number = number
        self.imagePrompt = imagePrompt
        self.videoPrompt = videoPrompt
        self.negativePrompt = negativePrompt
        self.selectedImageID = selectedImageID
        self.selectedVideoID = selectedVideoID
        self.length = length
        self.timelinePosition = timelinePosition
        self.generationParams = generationParams
    }
}
