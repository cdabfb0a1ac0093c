extension Migration {
    /// The generation pool (a project's media not placed on a clip), where a job's outputs
    /// go (gallery or pool), pull-mode servers (GPU boxes that call in for work), the still an
    /// image-to-video job starts from, and user-supplied workflows with their mappings.
    /// Numbered 9: 8 was left to the progress work done beside it.
    static let createPoolAndWorkers = Migration(
        id: 9,
        name: "create_pool_and_workers",
        up: { engine in
            let d = SchemaDialect(engine)
            return [
                """
                CREATE TABLE pool_items (
                    \(d.metadataColumns),
                    project_id TEXT NOT NULL REFERENCES projects (id),
                    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
                    description TEXT,
                    content_type TEXT NOT NULL CHECK (content_type IN ('image', 'video')),
                    source_type TEXT NOT NULL CHECK (source_type IN ('clip_generation', 'manual_upload', 'batch_generation')),
                    source_clip_id TEXT,
                    media_file_id TEXT NOT NULL REFERENCES media_files (id),
                    generation_params TEXT,
                    tags TEXT NOT NULL DEFAULT '[]',
                    metadata TEXT NOT NULL DEFAULT '{}',
                    job_id TEXT,
                    output_index INTEGER
                )
                """,
                // The listing: a project's live items, newest first.
                "CREATE INDEX pool_items_project_created ON pool_items (project_id, created_at, id) WHERE deleted_at IS NULL",
                "CREATE INDEX pool_items_project ON pool_items (project_id)",
                "CREATE INDEX pool_items_media ON pool_items (media_file_id)",
                "CREATE INDEX pool_items_deletion ON pool_items (deletion_id) WHERE deletion_id IS NOT NULL",
                // A job's outputs are attached exactly once, wherever they land.
                "CREATE UNIQUE INDEX pool_items_job_output ON pool_items (job_id, output_index) WHERE job_id IS NOT NULL",
                "ALTER TABLE generation_jobs ADD COLUMN destination TEXT NOT NULL DEFAULT 'gallery' CHECK (destination IN ('gallery', 'pool'))",
                """
                CREATE TABLE workflows (
                    \(d.metadataColumns),
                    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
                    description TEXT,
                    generation_type TEXT NOT NULL CHECK (generation_type IN ('image', 'video')),
                    graph TEXT NOT NULL,
                    mapping TEXT NOT NULL
                )
                """,
                "CREATE UNIQUE INDEX workflows_name ON workflows (name) WHERE deleted_at IS NULL",
                "CREATE INDEX workflows_live_created ON workflows (created_at, id) WHERE deleted_at IS NULL",
                "CREATE INDEX workflows_deletion ON workflows (deletion_id) WHERE deletion_id IS NOT NULL",
                // The graph and mapping a job was queued with (a copy: later edits change nothing queued).
                "ALTER TABLE generation_jobs ADD COLUMN workflow_id TEXT",
                "ALTER TABLE generation_jobs ADD COLUMN custom_workflow TEXT",
                // Image-to-video: the still that becomes the first frame (kept while the job is).
                "ALTER TABLE generation_jobs ADD COLUMN source_media_id TEXT REFERENCES media_files (id)",
                "ALTER TABLE comfyui_servers ADD COLUMN pull_mode \(d.boolean) NOT NULL DEFAULT \(d.booleanLiteral(false))",
                // The dispatcher's claim skips jobs asked for a pull-mode server.
                "CREATE INDEX comfyui_servers_pull ON comfyui_servers (id) WHERE pull_mode = \(d.booleanLiteral(true))",
            ]
        },
        down: { _ in
            [
                "DROP INDEX comfyui_servers_pull",
                "ALTER TABLE comfyui_servers DROP COLUMN pull_mode",
                "ALTER TABLE generation_jobs DROP COLUMN source_media_id",
                "ALTER TABLE generation_jobs DROP COLUMN custom_workflow",
                "ALTER TABLE generation_jobs DROP COLUMN workflow_id",
                "DROP TABLE workflows",
                "ALTER TABLE generation_jobs DROP COLUMN destination",
                "DROP TABLE pool_items",
            ]
        }
    )
}
