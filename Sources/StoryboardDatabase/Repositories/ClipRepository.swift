import Foundation
import SQLKit
import StoryboardCore

extension Clip: OrderedRecord {
    public static let table = "clips"
    public static let resource = ResourceKind.clip
    public static let columns = [
        "project_id", "scene_id", "name", "lyrics", "length", "timeline_position", "order", "image_prompt", "video_prompt",
        "negative_prompt",
        "selected_image_id", "selected_video_id", "character_id", "style_template_id", "active_version", "parent_clip_id", "is_alternate",
        "alternate_number",
    ]
    public static let sortableColumns: [String: SortKind] = ["order": .number, "timeline_position": .number, "name": .text]
    public static let orderScopeColumn = "scene_id"
    public static let alternateParentColumn = "parent_clip_id"

    public var orderScope: UUID { sceneID }
    public var alternateParent: UUID? { parentClipID }

    public var values: [DatabaseValue] {
        [
            DatabaseValue(projectID), DatabaseValue(sceneID), .text(name), DatabaseValue(lyrics), .real(length), .real(timelinePosition),
            .integer(order), DatabaseValue(imagePrompt), DatabaseValue(videoPrompt), DatabaseValue(negativePrompt),
            DatabaseValue(selectedImageID),
            DatabaseValue(selectedVideoID), DatabaseValue(characterID), DatabaseValue(styleTemplateID), DatabaseValue(activeVersion),
            DatabaseValue(parentClipID), .bool(isAlternate), DatabaseValue(alternateNumber),
        ]
    }

    public init(meta: RecordMetadata, row: any SQLRow) throws {
        self.init(
            meta: meta,
            projectID: try row.uuid("project_id"),
            sceneID: try row.uuid("scene_id"),
            name: try row.decode(column: "name", as: String.self),
            lyrics: try row.optional("lyrics", as: String.self),
            length: try row.decode(column: "length", as: Double.self),
            timelinePosition: try row.decode(column: "timeline_position", as: Double.self),
            order: try row.decode(column: "order", as: Int.self),
            imagePrompt: try row.optional("image_prompt", as: String.self),
            videoPrompt: try row.optional("video_prompt", as: String.self),
            negativePrompt: try row.optional("negative_prompt", as: String.self),
            selectedImageID: try row.optionalUUID("selected_image_id"),
            selectedVideoID: try row.optionalUUID("selected_video_id"),
            characterID: try row.optionalUUID("character_id"),
            styleTemplateID: try row.optionalUUID("style_template_id"),
            activeVersion: try row.optional("active_version", as: Int.self),
            parentClipID: try row.optionalUUID("parent_clip_id"),
            alternateNumber: try row.optional("alternate_number", as: Int.self)
        )
    }
}

public typealias ClipRepository = BaseRepository<Clip>

extension BaseRepository where R == Clip {
    /// The live clips on a project's timeline: those of its primary scenes that are not alternates.
    public func onTimeline(projectID: UUID) async throws -> [Clip] {
        let clips = try await all(.equals("project_id", DatabaseValue(projectID)).and(.isNull("parent_clip_id")))
        let primaryScenes = Set(
            try await executor.scenes.all(.equals("project_id", DatabaseValue(projectID)).and(.isNull("parent_scene_id"))).map(\.meta.id)
        )
        return clips.filter { primaryScenes.contains($0.sceneID) }
    }

    /// The projects (in id order, the order locks are taken in) with clips, live or trashed,
    /// that name a style template.
    public func projects(usingTemplate templateID: UUID) async throws -> [UUID] {
        try await executor.read { sql in
            try await sql.select().distinct().column("project_id").from(Clip.table)
                .where("style_template_id", .equal, SQLBind(templateID.uuidString.lowercased()))
                .orderBy("project_id").all()
                .map { try $0.uuid("project_id") }
        }
    }

    /// Clears a selection that points at `mediaID`, so a trashed item is never "selected".
    public func clearSelection(of mediaID: UUID, kind: MediaKind, clipID: UUID) async throws {
        let column = kind == .image ? "selected_image_id" : "selected_video_id"
        _ = try await updateOne(
            Filter.equals("id", DatabaseValue(clipID)).and(.equals(column, DatabaseValue(mediaID))), Changes([column: .null]))
    }
}

extension SQLExecutor {
    public var clips: ClipRepository { ClipRepository(self) }
}
