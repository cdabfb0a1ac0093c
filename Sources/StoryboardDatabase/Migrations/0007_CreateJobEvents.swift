extension Migration {
    /// What happened to jobs, in order, for Server-Sent Events that resume with `Last-Event-ID`.
    static let createJobEvents = Migration(
        id: 7,
        name: "create_job_events",
        up: { engine in
            let id = engine == .sqlite ? "id INTEGER PRIMARY KEY AUTOINCREMENT" : "id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"
            return [
                """
                CREATE TABLE job_events (
                    \(id),
                    job_id TEXT NOT NULL,
                    batch_id TEXT,
                    project_id TEXT NOT NULL,
                    type TEXT NOT NULL CHECK (type IN ('queued', 'started', 'progress', 'preview', 'succeeded', 'failed', 'cancelled', 'retrying')),
                    data TEXT NOT NULL,
                    created_at TEXT NOT NULL
                )
                """,
                "CREATE INDEX job_events_batch ON job_events (batch_id, id) WHERE batch_id IS NOT NULL",
                "CREATE INDEX job_events_project ON job_events (project_id, id)",
                "CREATE INDEX job_events_created ON job_events (created_at)",
            ]
        },
        down: { _ in ["DROP TABLE job_events"] }
    )
}
