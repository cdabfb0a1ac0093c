import Foundation

/// A file in the content-addressed media store: `id` is the SHA-256 of its bytes.
public struct MediaFile: Sendable, Equatable {
    public var id: String
    public var contentType: String
    public var fileExtension: String
    public var sizeBytes: Int
    public var createdAt: Timestamp

    public init(id: String, contentType: String, fileExtension: String, sizeBytes: Int, createdAt: Timestamp = .now()) {
        self.id = id
        self.contentType = contentType
        self.fileExtension = fileExtension
        self.sizeBytes = sizeBytes
        self.createdAt = createdAt
    }

    /// Where the file lives under the store's root: `ab/abcdef….mp3`.
    public var relativePath: String { "\(id.prefix(2))/\(id).\(fileExtension)" }
}
