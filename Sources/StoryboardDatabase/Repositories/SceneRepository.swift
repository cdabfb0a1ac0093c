import Foundation
import SQLKit
import StoryboardCore

extension Scene: OrderedRecord {
    public static let table = "scenes"
    public static let resource = ResourceKind.scene
    public static let columns = [
        "project_id", "name", "description", "lyrics", "order", "parent_scene_id", "is_alternate", "alternate_number",
    ]
    public static let sortableColumns: [String: SortKind] = ["order": .number, "name": .text]
    public static let orderScopeColumn = "project_id"
    public static let alternateParentColumn = "parent_scene_id"

    public var orderScope: UUID { projectID }
    public var alternateParent: UUID? { parentSceneID }

    public var values: [DatabaseValue] {
        [
            DatabaseValue(projectID), .text(name), DatabaseValue(description), DatabaseValue(lyrics), .integer(order),
            DatabaseValue(parentSceneID),
            .bool(isAlternate), DatabaseValue(alternateNumber),
        ]
    }

    public init(meta: RecordMetadata, row: any SQLRow) throws {
        self.init(
            meta: meta,
            projectID: try row.uuid("project_id"),
            name: try row.decode(column: "name", as: String.self),
            description: try row.optional("description", as: String.self),
            lyrics: try row.optional("lyrics", as: String.self),
            order: try row.decode(column: "order", as: Int.self),
            parentSceneID: try row.optionalUUID("parent_scene_id"),
            alternateNumber: try row.optional("alternate_number", as: Int.self)
        )
    }
}

public typealias SceneRepository = BaseRepository<Scene>

extension SQLExecutor {
    public var scenes: SceneRepository { SceneRepository(self) }
}
