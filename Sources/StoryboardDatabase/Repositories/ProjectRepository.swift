import Foundation
import PostgresNIO
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
    /// Locks the project row until the transaction ends and counts one change to its tree
    /// (`tree_version + 1`): every service that changes content under a project calls this
    /// first. Rolled back with the transaction when the change fails.
    public func lockForChange(id: UUID, includeDeleted: Bool = false) async throws -> Project {
        var predicate = "\"id\" = "
        if !includeDeleted { predicate = "\"deleted_at\" IS NULL AND " + predicate }
        let key = id.uuidString.lowercased()
        let row = try await executor.write { sql in
            try await sql.raw(
                "UPDATE projects SET tree_version = tree_version + 1 WHERE \(unsafeRaw: predicate)\(bind: key) RETURNING \(unsafeRaw: ColumnLists.quoted(Project.self))"
            ).first()
        }
        guard let row else { throw AppError.notFound(.project, id: key) }
        return try Project(row: row)
    }

    /// Counts one more generated result attached under the project, for its tree's stamp.
    /// A finishing job calls this instead of `lockForChange`, as late in its transaction as
    /// it can: the row it writes is locked only from here to the commit (docs/decisions.md).
    /// On PostgreSQL that is a row of its own, so that the job never waits for the project
    /// row; SQLite's single writer leaves nothing to wait for, and the project row keeps the
    /// stamp a single-table read there.
    public func countResult(of id: UUID) async throws {
        guard executor.engine == .postgresql else {
            _ = try await lockForChange(id: id)
            return
        }
        let key = id.uuidString.lowercased()
        try await executor.write { sql in
            try await sql.raw(
                """
                INSERT INTO project_result_counts (project_id, results) VALUES (\(bind: key), 1)
                ON CONFLICT (project_id) DO UPDATE SET results = project_result_counts.results + 1
                """
            ).run()
        }
    }

    /// The project's tree revision (nil when the project is missing or trashed): changes with
    /// every change to the project or anything under it, generated results included.
    /// `"<version>.<tree_version>.<results>"` on PostgreSQL, `"<version>.<tree_version>"` on
    /// SQLite, which counts results in `tree_version` (`countResult`).
    public func treeStamp(_ id: UUID) async throws -> String? {
        let key = id.uuidString.lowercased()
        return try await executor.read { sql in
            // Every conditional GET of a tree runs this; on PostgreSQL it is prepared once per
            // connection, so a 304 costs one Bind/Execute round trip and no parse or plan.
            if let postgres = sql as? DirectPostgresDatabase {
                return try await postgres.run(TreeStampStatement(id: key)).map { "\($0.0).\($0.1).\($0.2)" }
            }
            guard
                let row = try await sql.raw(
                    "SELECT version, tree_version FROM projects WHERE id = \(bind: key) AND deleted_at IS NULL"
                ).first()
            else { return nil }
            return "\(try row.decode(column: "version", as: Int.self)).\(try row.decode(column: "tree_version", as: Int.self))"
        }
    }
}

/// `treeStamp`'s statement, prepared on each PostgreSQL connection the first time it runs there.
struct TreeStampStatement: PostgresPreparedStatement {
    static let sql = """
        SELECT p.version, p.tree_version, COALESCE(r.results, 0) FROM projects p
        LEFT JOIN project_result_counts r ON r.project_id = p.id WHERE p.id = $1 AND p.deleted_at IS NULL
        """
    typealias Row = (Int, Int, Int)

    var id: String

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 1)
        bindings.append(id)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}
