import Foundation
import SQLKit
import StoryboardCore

extension ClipVersion: Record {
    public static let table = "clip_versions"
    public static let resource = ResourceKind.clipVersion
    public static let columns = [
        "project_id", "clip_id", "number", "image_prompt", "video_prompt", "negative_prompt", "selected_image_id", "selected_video_id",
        "length",
        "timeline_position", "generation_params",
    ]
    public static let sortableColumns: [String: SortKind] = ["number": .number]

    public var values: [DatabaseValue] {
        [
            DatabaseValue(projectID), DatabaseValue(clipID), .integer(number), DatabaseValue(imagePrompt), DatabaseValue(videoPrompt),
            DatabaseValue(negativePrompt), DatabaseValue(selectedImageID), DatabaseValue(selectedVideoID), .real(length),
            .real(timelinePosition),
            DatabaseValue(generationParams),
        ]
    }

    public init(meta: RecordMetadata, row: any SQLRow) throws {
        self.init(
            meta: meta,
            projectID: try row.uuid("project_id"),
            clipID: try row.uuid("clip_id"),
            number: try row.decode(column: "number", as: Int.self),
            imagePrompt: try row.optional("image_prompt", as: String.self),
            videoPrompt: try row.optional("video_prompt", as: String.self),
            negativePrompt: try row.optional("negative_prompt", as: String.self),
            selectedImageID: try row.optionalUUID("selected_image_id"),
            selectedVideoID: try row.optionalUUID("selected_video_id"),
            length: try row.decode(column: "length", as: Double.self),
            timelinePosition: try row.decode(column: "timeline_position", as: Double.self),
            generationParams: try row.optional("generation_params", as: String.self)
        )
    }
}

public typealias ClipVersionRepository = BaseRepository<ClipVersion>

extension SQLExecutor {
    public var clipVersions: ClipVersionRepository { ClipVersionRepository(self) }
}
