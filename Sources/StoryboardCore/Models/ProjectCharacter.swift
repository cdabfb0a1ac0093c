import Foundation

/// A recurring character of a project: who they are, the LoRA and trigger words that draw them.
/// (Not `Character`, which would shadow Swift's.)
public struct ProjectCharacter: Sendable, Equatable {
    public var meta: RecordMetadata
    public var projectID: UUID
    public var name: String
    public var description: String?
    public var lora: String?
    public var triggerWords: [String]
    public var styleNotes: String?

    public init(
        meta: RecordMetadata = RecordMetadata(), projectID: UUID, name: String, description: String? = nil, lora: String? = nil,
        triggerWords: [String] = [], styleNotes: String? = nil
    ) {
        self.meta = meta
        self.projectID = projectID
        self.name = name
        self.description = description
        self.lora = lora
        self.triggerWords = triggerWords
        self.styleNotes = styleNotes
    }
}

/// Whether a character image is one of its reference images or a generated sample that
/// may become one.
public enum CharacterImageKind: String, Sendable, CaseIterable {
    case reference, sample
}

/// An image of a character in the media store: an uploaded or chosen reference, or a sample.
public struct CharacterImage: Sendable, Equatable {
    public var meta: RecordMetadata
    public var projectID: UUID
    public var characterID: UUID
    public var mediaFileID: String
    public var contentType: String
    public var kind: CharacterImageKind
    /// The job and output that produced a sample (each is attached once).
    public var jobID: UUID?
    public var outputIndex: Int?
    public var seed: Int64?

    public init(
        meta: RecordMetadata = RecordMetadata(), projectID: UUID, characterID: UUID, mediaFileID: String, contentType: String,
        kind: CharacterImageKind = .reference, jobID: UUID? = nil, outputIndex: Int? = nil, seed: Int64? = nil
    ) {
        self.meta = meta
        self.projectID = projectID
        self.characterID = characterID
        self.mediaFileID = mediaFileID
        self.contentType = contentType
        self.kind = kind
        self.jobID = jobID
        self.outputIndex = outputIndex
        self.seed = seed
    }
}
