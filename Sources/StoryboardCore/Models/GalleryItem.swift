import Foundation

public enum MediaKind: String, Sendable, CaseIterable {
    case image, video
}

/// One generated (or uploaded) still or video in a clip's gallery (the old embedded
/// `generated_images` / `generated_videos` arrays, now rows).
public struct GalleryItem: Sendable, Equatable {
    public var meta: RecordMetadata
    public var projectID: UUID
    public var clipID: UUID
    public var contentType: MediaKind
    /// The stored file (content address), when the bytes are ours.
    public var mediaFileID: String?
    public var prompt: String?
    public var negativePrompt: String?
    public var seed: Int?
    public var serverID: UUID?
    public var serverName: String?
    public var modelName: String?
    public var modelType: String?
    /// JSON object text.
    public var generationParams: String?
    public var jobID: UUID?
    public var outputIndex: Int?

    public init(
        meta: RecordMetadata = RecordMetadata(), projectID: UUID, clipID: UUID, contentType: MediaKind, mediaFileID: String?,
        prompt: String? = nil, negativePrompt: String? = nil, seed: Int? = nil, serverID: UUID? = nil, serverName: String? = nil,
        modelName: String? = nil, modelType: String? = nil, generationParams: String? = nil, jobID: UUID? = nil, outputIndex: Int? = nil
    ) {
        self.meta = meta
        self.projectID = projectID
        self.clipID = clipID
        self.contentType = contentType
        self.mediaFileID = mediaFileID
        self.prompt = prompt
        self.negativePrompt = negativePrompt
        self.seed = seed
        self.serverID = serverID
        self.serverName = serverName
        self.modelName = modelName
        self.modelType = modelType
        self.generationParams = generationParams
        self.jobID = jobID
        self.outputIndex = outputIndex
    }
}
