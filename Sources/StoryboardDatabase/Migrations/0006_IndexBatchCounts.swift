extension Migration {
    /// A batch's counts are read at every finish of one of its jobs: from the index alone.
    static let indexBatchCounts = Migration(
        id: 6,
        name: "index_batch_counts",
        up: { _ in
            [
                "CREATE INDEX generation_jobs_batch_status ON generation_jobs (batch_id, status) WHERE batch_id IS NOT NULL AND retried_by IS NULL"
            ]
        },
        down: { _ in ["DROP INDEX generation_jobs_batch_status"] }
    )
}
