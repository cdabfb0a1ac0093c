import Foundation
import SQLKit
import StoryboardCore

extension GalleryItem: Record {
    public static let table = "gallery_items"
    public static let resource = ResourceKind.galleryItem
    public static let columns = [
        "project_id", "clip_id", "content_type", "media_file_id", "prompt", "negative_prompt", "seed", "server_id", "server_name",
        "model_name",
        "model_type", "generation_params", "job_id", "output_index",
    ]
    public static let sortableColumns: [String: SortKind] = [:]

    public var values: [DatabaseValue] {
        [
            DatabaseValue(projectID), DatabaseValue(clipID), .text(contentType.rawValue), DatabaseValue(mediaFileID), DatabaseValue(prompt),
            DatabaseValue(negativePrompt), DatabaseValue(seed), DatabaseValue(serverID), DatabaseValue(serverName),
            DatabaseValue(modelName),
            DatabaseValue(modelType), DatabaseValue(generationParams), DatabaseValue(jobID), DatabaseValue(outputIndex),
        ]
    }

    public init(meta: RecordMetadata, row: any SQLRow) throws {
        let kind = try row.decode(column: "content_type", as: String.self)
        guard let contentType = MediaKind(rawValue: kind) else { throw StoredDataError(column: "content_type", problem: "is \(kind)") }
        self.init(
            meta: meta,
            projectID: try row.uuid("project_id"),
            clipID: try row.uuid("clip_id"),
            contentType: contentType,
            mediaFileID: try row.optional("media_file_id", as: String.self),
            prompt: try row.optional("prompt", as: String.self),
            negativePrompt: try row.optional("negative_prompt", as: String.self),
            seed: try row.optional("seed", as: Int.self),
            serverID: try row.optionalUUID("server_id"),
            serverName: try row.optional("server_name", as: String.self),
            modelName: try row.optional("model_name", as: String.self),
            modelType: try row.optional("model_type", as: String.self),
            generationParams: try row.optional("generation_params", as: String.self),
            jobID: try row.optionalUUID("job_id"),
            outputIndex: try row.optional("output_index", as: Int.self)
        )
    }
}

public typealias GalleryItemRepository = BaseRepository<GalleryItem>

extension SQLExecutor {
    public var galleryItems: GalleryItemRepository { GalleryItemRepository(self) }
}
