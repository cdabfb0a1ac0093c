import Foundation
import SQLKit
import StoryboardCore

extension Project: Record {
    public static let table = "projects"
    public static let resource = ResourceKind.project
    public static let columns = ["name", "description", "music_file_path", "music_duration"]
    public static let sortableColumns: [String: SortKind] = ["name": .text]

    public var values: [DatabaseValue] {
        [.text(name), DatabaseValue(description), DatabaseValue(musicFilePath), DatabaseValue(musicDuration)]
    }

    public init(meta: RecordMetadata, row: any SQLRow) throws {
        self.init(
            meta: meta,
            name: try row.decode(column: "name", as: String.self),
            description: try row.optional("description", as: String.self),
            musicFilePath: try row.optional("music_file_path", as: String.self),
            musicDuration: try row.optional("music_duration", as: Double.self)
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
