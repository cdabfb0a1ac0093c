extension Migration {
    /// Batches (the audit's `generation_batches`): one job per clip, counters kept with the jobs.
    static let createBatches = Migration(
        id: 5,
        name: "create_batches",
        up: { engine in
            let d = SchemaDialect(engine)
            return [
                """
                CREATE TABLE generation_batches (
                    \(d.metadataColumns),
                    project_id TEXT NOT NULL REFERENCES projects (id),
                    generation_type TEXT NOT NULL CHECK (generation_type IN ('image', 'video')),
                    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'completed_with_errors', 'cancelled')),
                    total INTEGER NOT NULL DEFAULT 0 CHECK (total >= 0),
                    completed INTEGER NOT NULL DEFAULT 0 CHECK (completed >= 0),
                    failed INTEGER NOT NULL DEFAULT 0 CHECK (failed >= 0),
                    cancelled INTEGER NOT NULL DEFAULT 0 CHECK (cancelled >= 0),
                    params TEXT NOT NULL,
                    started_at TEXT,
                    finished_at TEXT
                )
                """,
                // The audit's index, and its recommended one on status.
                "CREATE INDEX generation_batches_project ON generation_batches (project_id, created_at, id) WHERE deleted_at IS NULL",
                "CREATE INDEX generation_batches_status ON generation_batches (status, created_at)",
                "CREATE INDEX generation_batches_deletion ON generation_batches (deletion_id) WHERE deletion_id IS NOT NULL",
                // A retried job points at the job that replaced it; batch counts use the latest of each.
                "ALTER TABLE generation_jobs ADD COLUMN retried_by TEXT",
            ]
        },
        down: { _ in ["ALTER TABLE generation_jobs DROP COLUMN retried_by", "DROP TABLE generation_batches"] }
    )
}
