import Foundation
import SQLKit
import StoryboardCore

extension PoolItem: Record {
    public static let table = "pool_items"
    public static let resource = ResourceKind.poolItem
    public static let columns = [
        "project_id", "name", "description", "content_type", "source_type", "source_clip_id", "media_file_id", "generation_params", "tags",
        "metadata", "job_id", "output_index",
    ]
    public static let sortableColumns: [String: SortKind] = ["name": .text]

    public var values: [DatabaseValue] {
        [
            DatabaseValue(projectID), .text(name), DatabaseValue(description), .text(contentType.rawValue), .text(sourceType.rawValue),
            DatabaseValue(sourceClipID), .text(mediaFileID), DatabaseValue(generationParams), .text(JSONText.encode(tags)), .text(metadata),
            DatabaseValue(jobID), DatabaseValue(outputIndex),
        ]
    }

    public init(meta: RecordMetadata, row: any SQLRow) throws {
        let kind = try row.decode(column: "content_type", as: String.self)
        guard let contentType = MediaKind(rawValue: kind) else { throw StoredDataError(column: "content_type", problem: "is \(kind)") }
        let source = try row.decode(column: "source_type", as: String.self)
        guard let sourceType = PoolSource(rawValue: source) else { throw StoredDataError(column: "source_type", problem: "is \(source)") }
        let tagText = try row.decode(column: "tags", as: String.self)
        guard let tags = JSONText.decodeStrings(tagText) else {
            throw StoredDataError(column: "tags", problem: "is not a JSON list of strings")
        }
        self.init(
            meta: meta,
            projectID: try row.uuid("project_id"),
            name: try row.decode(column: "name", as: String.self),
            description: try row.optional("description", as: String.self),
            contentType: contentType,
            sourceType: sourceType,
            sourceClipID: try row.optionalUUID("source_clip_id"),
            mediaFileID: try row.decode(column: "media_file_id", as: String.self),
            generationParams: try row.optional("generation_params", as: String.self),
            tags: tags,
            metadata: try row.decode(column: "metadata", as: String.self),
            jobID: try row.optionalUUID("job_id"),
            outputIndex: try row.optional("output_index", as: Int.self)
        )
    }
}

public typealias PoolItemRepository = BaseRepository<PoolItem>

extension SQLExecutor {
    public var poolItems: PoolItemRepository { PoolItemRepository(self) }
}
