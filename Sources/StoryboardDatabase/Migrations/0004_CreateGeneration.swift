extension Migration {
    /// The generation queue (`generation_jobs`), server status (the audit's `backends`), and
    /// character samples beside reference images.
    static let createGeneration = Migration(
        id: 4,
        name: "create_generation",
        up: { engine in
            let d = SchemaDialect(engine)
            return [
                """
                CREATE TABLE generation_jobs (
                    \(d.metadataColumns),
                    project_id TEXT NOT NULL REFERENCES projects (id),
                    clip_id TEXT,
                    character_id TEXT,
                    batch_id TEXT,
                    target TEXT NOT NULL CHECK (target IN ('clip', 'character')),
                    generation_type TEXT NOT NULL CHECK (generation_type IN ('image', 'video')),
                    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
                    priority INTEGER NOT NULL DEFAULT 0,
                    attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
                    max_retries INTEGER NOT NULL DEFAULT 3 CHECK (max_retries BETWEEN 0 AND 20),
                    available_at TEXT NOT NULL,
                    lease_until TEXT,
                    lease_owner TEXT,
                    server_id TEXT,
                    preferred_server_id TEXT,
                    model TEXT,
                    prompt TEXT NOT NULL,
                    negative_prompt TEXT,
                    params TEXT NOT NULL,
                    upstream_id TEXT,
                    progress_value INTEGER,
                    progress_max INTEGER,
                    error TEXT,
                    result_media_ids TEXT,
                    started_at TEXT,
                    finished_at TEXT,
                    CHECK ((target = 'clip') = (clip_id IS NOT NULL)),
                    CHECK ((target = 'character') = (character_id IS NOT NULL)),
                    CHECK ((status = 'running') = (lease_until IS NOT NULL))
                )
                """,
                // The claim: the next queued job, highest priority first, then oldest.
                "CREATE INDEX generation_jobs_claim ON generation_jobs (priority DESC, created_at, id) WHERE status = 'queued' AND deleted_at IS NULL",
                // Expired leases (a process that died mid-job).
                "CREATE INDEX generation_jobs_lease ON generation_jobs (lease_until) WHERE status = 'running'",
                "CREATE INDEX generation_jobs_live_created ON generation_jobs (created_at, id) WHERE deleted_at IS NULL",
                "CREATE INDEX generation_jobs_status ON generation_jobs (status, created_at, id) WHERE deleted_at IS NULL",
                "CREATE INDEX generation_jobs_clip ON generation_jobs (clip_id, created_at, id) WHERE clip_id IS NOT NULL",
                "CREATE INDEX generation_jobs_character ON generation_jobs (character_id, created_at, id) WHERE character_id IS NOT NULL",
                "CREATE INDEX generation_jobs_project ON generation_jobs (project_id, status)",
                "CREATE INDEX generation_jobs_batch ON generation_jobs (batch_id, created_at, id) WHERE batch_id IS NOT NULL",
                "CREATE INDEX generation_jobs_deletion ON generation_jobs (deletion_id) WHERE deletion_id IS NOT NULL",
                """
                CREATE TABLE backends (
                    id TEXT PRIMARY KEY NOT NULL REFERENCES comfyui_servers (id),
                    name TEXT NOT NULL,
                    url TEXT NOT NULL,
                    is_online \(d.boolean) NOT NULL DEFAULT \(d.booleanLiteral(false)),
                    last_check TEXT,
                    latency_ms \(d.double),
                    queue_running INTEGER NOT NULL DEFAULT 0,
                    queue_pending INTEGER NOT NULL DEFAULT 0,
                    devices TEXT,
                    system TEXT,
                    capabilities TEXT,
                    model_count INTEGER NOT NULL DEFAULT 0,
                    consecutive_failures INTEGER NOT NULL DEFAULT 0,
                    last_error TEXT,
                    retry_at TEXT,
                    last_model TEXT,
                    updated_at TEXT NOT NULL
                )
                """,
                // The audit's recommended index.
                "CREATE INDEX backends_online ON backends (is_online, last_check)",
                // Samples of a character sit beside its reference images; a sample becomes a
                // reference by changing `kind`. A job's outputs are attached exactly once.
                "ALTER TABLE character_images ADD COLUMN kind TEXT NOT NULL DEFAULT 'reference' CHECK (kind IN ('reference', 'sample'))",
                "ALTER TABLE character_images ADD COLUMN job_id TEXT",
                "ALTER TABLE character_images ADD COLUMN output_index INTEGER",
                "ALTER TABLE character_images ADD COLUMN seed \(d.bigint)",
                "CREATE UNIQUE INDEX character_images_job_output ON character_images (job_id, output_index) WHERE job_id IS NOT NULL",
                "CREATE INDEX character_images_kind ON character_images (character_id, kind, created_at) WHERE deleted_at IS NULL",
            ]
        },
        down: { _ in
            [
                "DROP TABLE backends", "DROP TABLE generation_jobs", "DROP INDEX character_images_job_output",
                "DROP INDEX character_images_kind",
                "ALTER TABLE character_images DROP COLUMN seed", "ALTER TABLE character_images DROP COLUMN output_index",
                "ALTER TABLE character_images DROP COLUMN job_id", "ALTER TABLE character_images DROP COLUMN kind",
            ]
        }
    )
}
