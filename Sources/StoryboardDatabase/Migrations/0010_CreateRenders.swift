extension Migration {
    /// Animatic renders (a queue of their own, claimed like jobs) and the event types that
    /// report them on the project's event stream.
    static let createRenders = Migration(
        id: 10,
        name: "create_renders",
        up: { engine in
            let d = SchemaDialect(engine)
            return [
                """
                CREATE TABLE renders (
                    \(d.metadataColumns),
                    project_id TEXT NOT NULL REFERENCES projects (id),
                    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
                    width INTEGER NOT NULL CHECK (width BETWEEN 64 AND 3840 AND width % 2 = 0),
                    height INTEGER NOT NULL CHECK (height BETWEEN 64 AND 2160 AND height % 2 = 0),
                    fps INTEGER NOT NULL CHECK (fps BETWEEN 1 AND 60),
                    duration \(d.double),
                    progress \(d.double) NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 1),
                    progress_at TEXT,
                    error TEXT,
                    media_file_id TEXT REFERENCES media_files (id),
                    attempts INTEGER NOT NULL DEFAULT 0,
                    available_at TEXT NOT NULL,
                    lease_until TEXT,
                    lease_owner TEXT,
                    started_at TEXT,
                    finished_at TEXT
                )
                """,
                // The claim: the oldest due queued render.
                "CREATE INDEX renders_queue ON renders (available_at, created_at, id) WHERE status = 'queued' AND deleted_at IS NULL",
                // Lease recovery.
                "CREATE INDEX renders_running ON renders (lease_until) WHERE status = 'running'",
                // A project's renders, newest first; cascades by project.
                "CREATE INDEX renders_project_created ON renders (project_id, created_at, id)",
                "CREATE INDEX renders_media ON renders (media_file_id) WHERE media_file_id IS NOT NULL",
                "CREATE INDEX renders_deletion ON renders (deletion_id) WHERE deletion_id IS NOT NULL",
            ] + eventTypes(engine, JobEventTypes.withRenders)
        },
        down: { engine in
            ["DELETE FROM job_events WHERE type LIKE 'render_%'"] + eventTypes(engine, JobEventTypes.jobsOnly) + ["DROP TABLE renders"]
        }
    )

    /// Replaces the CHECK on `job_events.type`. PostgreSQL swaps the constraint; SQLite cannot
    /// alter one, so the table is rebuilt (ids kept, so streams resume where they were).
    private static func eventTypes(_ engine: DatabaseEngine, _ types: [String]) -> [String] {
        let list = types.map { "'\($0)'" }.joined(separator: ", ")
        if engine == .postgresql {
            return [
                "ALTER TABLE job_events DROP CONSTRAINT job_events_type_check",
                "ALTER TABLE job_events ADD CONSTRAINT job_events_type_check CHECK (type IN (\(list)))",
            ]
        }
        return [
            """
            CREATE TABLE job_events_rebuilt (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                job_id TEXT NOT NULL,
                batch_id TEXT,
                project_id TEXT NOT NULL,
                type TEXT NOT NULL CHECK (type IN (\(list))),
                data TEXT NOT NULL,
                created_at TEXT NOT NULL
            )
            """,
            "INSERT INTO job_events_rebuilt (id, job_id, batch_id, project_id, type, data, created_at) SELECT id, job_id, batch_id, project_id, type, data, created_at FROM job_events",
            "DROP TABLE job_events",
            "ALTER TABLE job_events_rebuilt RENAME TO job_events",
            "CREATE INDEX job_events_batch ON job_events (batch_id, id) WHERE batch_id IS NOT NULL",
            "CREATE INDEX job_events_project ON job_events (project_id, id)",
            "CREATE INDEX job_events_created ON job_events (created_at)",
        ]
    }
}

/// The event types of `job_events`, before and after renders (written out: a migration's SQL
/// must never change once shipped, whatever later code adds).
enum JobEventTypes {
    static let jobsOnly = ["queued", "started", "progress", "preview", "succeeded", "failed", "cancelled", "retrying"]
    static let withRenders =
        jobsOnly + ["render_queued", "render_started", "render_progress", "render_succeeded", "render_failed", "render_cancelled"]
}
