import Foundation

/// A reusable prompt pattern with `{prompt}`, `{lyrics}` and `{character}` placeholders;
/// global (`projectID` nil) or a project's own.
public struct StyleTemplate: Sendable, Equatable {
    public var meta: RecordMetadata
    public var projectID: UUID?
    public var name: String
    public var description: String?
    public var promptTemplate: String
    public var negativePromptTemplate: String?
    /// JSON object text.
    public var defaultParams: String?
    public var useCount: Int
    public var isGlobal: Bool

    public init(
        meta: RecordMetadata = RecordMetadata(), projectID: UUID?, name: String, description: String? = nil, promptTemplate: String,
        negativePromptTemplate: String? = nil, defaultParams: String? = nil, useCount: Int = 0, isGlobal: Bool
    ) {
        self.meta = meta
        self.projectID = projectID
        self.name = name
        self.description = description
        self.promptTemplate = promptTemplate
        self.negativePromptTemplate = negativePromptTemplate
        self.defaultParams = defaultParams
        self.useCount = useCount
        self.isGlobal = isGlobal
    }
}
