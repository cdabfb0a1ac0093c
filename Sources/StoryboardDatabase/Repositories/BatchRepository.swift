import Foundation
import SQLKit
import StoryboardCore

extension GenerationBatch: Record {
    public static let table = "generation_batches"
    public static let resource = ResourceKind.batch
    public static let columns = ["project_id", "generation_type", "status", "total", "completed", "failed", "cancelled", "params", "started_at", "finished_at"]
    public static let sortableColumns: [String: SortKind] = [:]

    public var values: [DatabaseValue] {
        [
            DatabaseValue(projectID), .text(generationType.rawValue), .text(status.rawValue), .integer(total), .integer(completed), .integer(failed),
            .integer(cancelled), .text(params), DatabaseValue(startedAt), DatabaseValue(finishedAt),
        ]
    }

    public init(meta: RecordMetadata, row: any SQLRow) throws {
        let type = try row.decode(column: "generation_type", as: String.self)
        let state = try row.decode(column: "status", as: String.self)
        guard let generationType = GenerationType(rawValue: type) else { throw StoredDataError(column: "generation_type", problem: "is \(type)") }
        guard let status = BatchStatus(rawValue: state) else { throw StoredDataError(column: "status", problem: "is \(state)") }
        self.init(
            meta: meta,
            projectID: try row.uuid("project_id"),
            generationType: generationType,
            status: status,
            total: try row.decode(column: "total", as: Int.self),
            completed: try row.decode(column: "completed", as: Int.self),
            failed: try row.decode(column: "failed", as: Int.self),
            cancelled: try row.decode(column: "cancelled", as: Int.self),
            params: try row.decode(column: "params", as: String.self),
            startedAt: try row.optionalTimestamp("started_at"),
            finishedAt: try row.optionalTimestamp("finished_at")
        )
    }
}

public typealias BatchRepository = BaseRepository<GenerationBatch>

extension SQLExecutor {
    public var batches: BatchRepository { BatchRepository(self) }
}

extension BaseRepository where R == GenerationBatch {
    /// Recounts a batch from its jobs (the latest of each retry chain) and sets its status:
    /// cancelled stays cancelled, then queued or running while jobs are unfinished, then
    /// completed (with errors when one failed). One statement. On PostgreSQL the batch row
    /// is locked first, so concurrent finishes of its jobs count one after the other and the
    /// last one sees them all: a count taken in the same statement as the update would use
    /// the snapshot from before the lock wait. Call inside the transaction that changed a job.
    @discardableResult
    public func refresh(_ id: UUID, now: Timestamp = .now()) async throws -> GenerationBatch? {
        let key = id.uuidString.lowercased()
        let stamp = now.description
        return try await executor.write { sql in
            if executor.engine == .postgresql {
                guard try await sql.raw("SELECT id FROM generation_batches WHERE id = \(bind: key) FOR UPDATE").first() != nil else { return nil }
            }
            let row = try await sql.raw(
                """
                UPDATE generation_batches SET
                    total = c.n_total, completed = c.n_succeeded, failed = c.n_failed, cancelled = c.n_cancelled,
                    status = CASE
                        WHEN generation_batches.status = 'cancelled' THEN 'cancelled'
                        WHEN c.n_unfinished > 0 THEN
                            CASE WHEN generation_batches.started_at IS NOT NULL OR c.n_started > 0 THEN 'running' ELSE 'queued' END
                        WHEN c.n_failed > 0 THEN 'completed_with_errors'
                        ELSE 'completed' END,
                    started_at = CASE WHEN generation_batches.started_at IS NULL AND c.n_started > 0 THEN \(bind: stamp) ELSE generation_batches.started_at END,
                    finished_at = CASE WHEN generation_batches.status = 'cancelled' OR c.n_unfinished = 0
                        THEN COALESCE(generation_batches.finished_at, \(bind: stamp)) ELSE NULL END,
                    version = generation_batches.version + 1, updated_at = \(bind: stamp)
                FROM (
                    SELECT COUNT(*) AS n_total,
                        COALESCE(SUM(CASE WHEN status = 'succeeded' THEN 1 ELSE 0 END), 0) AS n_succeeded,
                        COALESCE(SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END), 0) AS n_failed,
                        COALESCE(SUM(CASE WHEN status = 'cancelled' THEN 1 ELSE 0 END), 0) AS n_cancelled,
                        COALESCE(SUM(CASE WHEN status IN ('queued', 'running') THEN 1 ELSE 0 END), 0) AS n_unfinished,
                        COALESCE(SUM(CASE WHEN status IN ('running', 'succeeded', 'failed') THEN 1 ELSE 0 END), 0) AS n_started
                    FROM generation_jobs WHERE batch_id = \(bind: key) AND retried_by IS NULL
                ) AS c
                WHERE generation_batches.id = \(bind: key)
                RETURNING \(unsafeRaw: ColumnLists.quoted(GenerationBatch.self))
                """
            ).first()
            return try row.map { try GenerationBatch(row: $0) }
        }
    }

    public func refreshAll(_ ids: Set<UUID>) async throws {
        for id in ids.sorted(by: { $0.uuidString < $1.uuidString }) { try await refresh(id) }
    }
}

extension BaseRepository where R == GenerationBatch {
    /// A queued batch becomes running when its first job is claimed (one statement, no lock:
    /// the counts are not touched).
    public func markStarted(_ id: UUID, now: Timestamp = .now()) async throws {
        _ = try await updateAll(
            Filter.equals("id", DatabaseValue(id)).and(.equals("status", .text(BatchStatus.queued.rawValue))),
            Changes(["status": .text(BatchStatus.running.rawValue), "started_at": DatabaseValue(now)])
        )
    }
}
