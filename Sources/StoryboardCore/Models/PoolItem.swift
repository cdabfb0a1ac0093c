import Foundation

/// How a pool item came to be (docs/domain.md, generation pool items).
public enum PoolSource: String, Sendable, CaseIterable {
    case clipGeneration = "clip_generation"
    case manualUpload = "manual_upload"
    case batchGeneration = "batch_generation"
}

/// Where a job's outputs land: the clip's gallery, or the project's generation pool.
public enum JobDestination: String, Sendable, CaseIterable {
    case gallery, pool
}

/// One still or video in a project's generation pool: generated or uploaded media not (yet)
/// placed on a clip. `apply` copies it into a clip's gallery; the pool item stays.
public struct PoolItem: Sendable, Equatable {
    public var meta: RecordMetadata
    public var projectID: UUID
    public var name: String
    public var description: String?
    public var contentType: MediaKind
    public var sourceType: PoolSource
    /// The clip whose generation made it, when one did.
    public var sourceClipID: UUID?
    public var mediaFileID: String
    /// JSON object text.
    public var generationParams: String?
    public var tags: [String]
    /// JSON object text: prompt, seed, model and server of a generated item, or what the client stored.
    public var metadata: String
    public var jobID: UUID?
    public var outputIndex: Int?

    public init(
        meta: RecordMetadata = RecordMetadata(), projectID: UUID, name: String, description: String? = nil, contentType: MediaKind,
        sourceType: PoolSource, sourceClipID: UUID? = nil, mediaFileID: String, generationParams: String? = nil, tags: [String] = [],
        metadata: String = "{}", jobID: UUID? = nil, outputIndex: Int? = nil
    ) {
        self.meta = meta
        self.projectID = projectID
        self.name = name
        self.description = description
        self.contentType = contentType
        self.sourceType = sourceType
        self.sourceClipID = sourceClipID
        self.mediaFileID = mediaFileID
        self.generationParams = generationParams
        self.tags = tags
        self.metadata = metadata
        self.jobID = jobID
        self.outputIndex = outputIndex
    }

    /// At most this many tags, each 1–50 characters.
    public static let maxTags = 50
    public static let maxTagLength = 50
}
