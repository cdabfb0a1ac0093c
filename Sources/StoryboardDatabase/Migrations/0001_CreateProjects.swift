extension Migration {
    /// Projects: the root of every storyboard (fields as the audit lists them).
    static let createProjects = Migration(
        id: 1,
        name: "create_projects",
        up: { engine in
            let dialect = SchemaDialect(engine)
            return [
                """
                CREATE TABLE projects (
                    \(dialect.metadataColumns),
                    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
                    description TEXT,
                    music_file_path TEXT,
                    music_duration \(dialect.double) CHECK (music_duration IS NULL OR music_duration >= 0)
                )
                """,
                // Listing (newest first), keyset pages on (created_at, id), trash listing.
                "CREATE INDEX projects_live_created ON projects (created_at DESC, id DESC) WHERE deleted_at IS NULL",
                "CREATE INDEX projects_updated ON projects (updated_at DESC, id DESC) WHERE deleted_at IS NULL",
                "CREATE INDEX projects_deleted ON projects (deleted_at DESC) WHERE deleted_at IS NOT NULL",
                "CREATE INDEX projects_deletion ON projects (deletion_id) WHERE deletion_id IS NOT NULL",
            ]
        },
        down: { _ in
            ["DROP TABLE projects"]
        }
    )
}
