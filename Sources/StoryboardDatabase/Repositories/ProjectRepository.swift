import Foundation
import SQLKit
import StoryboardCore

extension Project: Record {
    public static let table = "projects"
    public static let resource = ResourceKind.project
    public static let columns = ["name", "description", "music_file_path", "music_duration", "music_media_id"]
    public static let sortableColumns: [String: SortKind] = ["name": .text]

    public var values: [DatabaseValue] {
        [.text(name), DatabaseValue(description), DatabaseValue(musicFilePath), DatabaseValue(musicDuration), DatabaseValue(musicMediaID)]
    }

    public init(meta: RecordMetadata, row: any SQLRow) throws {
        self.init(
            meta: meta,
            name: try row.decode(column: "name", as: String.self),
            description: try row.optional("description", as: String.self),
            musicFilePath: try row.optional("music_file_path", as: String.self),
            musicDuration: try row.optional("music_duration", as: Double.self),
            musicMediaID: try row.optional("music_media_id", as: String.self)
        )
    }
}

public typealias ProjectRepository = BaseRepository<Project>

extension BaseRepository where R == Project {
    /// Projects whose name contains `text` (case-insensitive), newest first.
    public func search(name text: String, limit: Int = 50, cursor: String? = nil) async throws -> Page<Project> {
        try await findMany(Filter([.contains("name", text)]), sort: .newestFirst, limit: limit, cursor: cursor)
    }
}

extension SQLExecutor {
    public var projects: ProjectRepository { ProjectRepository(self) }
}

extension BaseRepository where R == Project {
    /// The latest change anywhere in a project's tree (see `ProjectTreeService.stamp`); nil
    /// when the project does not exist or is in the trash.
    public func treeStamp(_ id: UUID) async throws -> String? {
        let key = id.uuidString.lowercased()
        return try await executor.read { sql in
            let row = try await sql.raw(
                """
                SELECT p.version AS version, p.updated_at AS project,
                    (SELECT MAX(updated_at) FROM scenes WHERE project_id = \(bind: key)) AS scenes,
                    (SELECT MAX(updated_at) FROM clips WHERE project_id = \(bind: key)) AS clips,
                    (SELECT MAX(updated_at) FROM gallery_items WHERE project_id = \(bind: key)) AS gallery
                FROM projects p WHERE p.id = \(bind: key) AND p.deleted_at IS NULL
                """
            ).first()
            guard let row else { return nil }
            let times = try ["project", "scenes", "clips", "gallery"].compactMap { try row.optional($0, as: String.self) }
            return times.max()
        }
    }
}
