import Foundation

/// The columns every mutable row carries (docs/architecture.md, data rules).
public struct RecordMetadata: Sendable, Equatable, Hashable {
    public var id: UUID
    public var createdAt: Timestamp
    public var updatedAt: Timestamp
    /// +1 on every change; sent as the `ETag` and checked against `If-Match`.
    public var version: Int
    public var deletedAt: Timestamp?
    public var deletedBy: String?
    /// Groups the rows one delete took with it, so a restore brings back exactly those.
    public var deletionID: UUID?

    public init(
        id: UUID = UUID(),
        createdAt: Timestamp = .now(),
        updatedAt: Timestamp? = nil,
        version: Int = 1,
        deletedAt: Timestamp? = nil,
        deletedBy: String? = nil,
        deletionID: UUID? = nil
    ) {
        self.id = id
        self.createdAt = createdAt
        self.updatedAt = updatedAt ?? createdAt
        self.version = version
        self.deletedAt = deletedAt
        self.deletedBy = deletedBy
        self.deletionID = deletionID
    }

    public var isDeleted: Bool { deletedAt != nil }
}
