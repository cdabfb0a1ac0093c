extension Migration {
    /// When a job last showed progress, and the latest preview image of each running job.
    ///
    /// A preview lives only while its job runs: a trigger removes it in the statement that
    /// moves the job out of `running` (whichever code path does that, in this process or
    /// another), and the foreign key removes it with a purged job. So the table holds at most
    /// one row per running job and never grows.
    static let jobProgressAndPreviews = Migration(
        id: 8,
        name: "job_progress_and_previews",
        up: { engine in
            let bytes = engine == .sqlite ? "BLOB" : "BYTEA"
            let table = """
                CREATE TABLE job_previews (
                    job_id TEXT PRIMARY KEY NOT NULL REFERENCES generation_jobs (id) ON DELETE CASCADE,
                    content_type TEXT NOT NULL CHECK (content_type IN ('image/png', 'image/jpeg', 'image/webp')),
                    bytes \(bytes) NOT NULL,
                    sequence INTEGER NOT NULL CHECK (sequence >= 1),
                    updated_at TEXT NOT NULL
                )
                """
            switch engine {
            case .sqlite:
                return [
                    "ALTER TABLE generation_jobs ADD COLUMN progress_at TEXT",
                    table,
                    """
                    CREATE TRIGGER job_previews_end AFTER UPDATE OF status ON generation_jobs
                    FOR EACH ROW WHEN NEW.status <> 'running'
                    BEGIN DELETE FROM job_previews WHERE job_id = NEW.id; END
                    """,
                ]
            case .postgresql:
                return [
                    "ALTER TABLE generation_jobs ADD COLUMN progress_at TEXT",
                    table,
                    """
                    CREATE FUNCTION job_previews_end() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN
                        DELETE FROM job_previews WHERE job_id = NEW.id;
                        RETURN NULL;
                    END
                    $$
                    """,
                    """
                    CREATE TRIGGER job_previews_end AFTER UPDATE OF status ON generation_jobs
                    FOR EACH ROW WHEN (NEW.status <> 'running') EXECUTE FUNCTION job_previews_end()
                    """,
                ]
            }
        },
        down: { engine in
            switch engine {
            case .sqlite:
                return ["DROP TRIGGER job_previews_end", "DROP TABLE job_previews", "ALTER TABLE generation_jobs DROP COLUMN progress_at"]
            case .postgresql:
                return [
                    "DROP TRIGGER job_previews_end ON generation_jobs", "DROP FUNCTION job_previews_end()", "DROP TABLE job_previews",
                    "ALTER TABLE generation_jobs DROP COLUMN progress_at",
                ]
            }
        }
    )
}
