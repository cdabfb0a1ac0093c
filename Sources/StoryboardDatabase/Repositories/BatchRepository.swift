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
    /// Recounts a batch from its jobs (the latest of each retry chain) and sets its status.
    /// The batch row is locked first, so concurrent finishes of its jobs count one after the
    /// other and the last one sees them all. Call inside the transaction that changed a job.
    @discardableResult
    public func refresh(_ id: UUID, now: Timestamp = .now()) async throws -> GenerationBatch? {
        guard let batch = try await find(id: id, includeDeleted: true, forUpdate: true) else { return nil }
        let key = id.uuidString.lowercased()
        let counts = try await executor.write { sql in
            var counts: [JobStatus: Int] = [:]
            for row in try await sql.raw(
                "SELECT status, COUNT(*) AS n FROM generation_jobs WHERE batch_id = \(bind: key) AND retried_by IS NULL GROUP BY status"
            ).all() {
                if let status = JobStatus(rawValue: try row.decode(column: "status", as: String.self)) { counts[status] = try row.decode(column: "n", as: Int.self) }
            }
            return counts
        }
        let unfinished = (counts[.queued] ?? 0) + (counts[.running] ?? 0)
        let started = batch.startedAt != nil || (counts[.running] ?? 0) + (counts[.succeeded] ?? 0) + (counts[.failed] ?? 0) > 0
        let status = GenerationBatch.status(unfinished: unfinished, started: started, failed: counts[.failed] ?? 0, cancelled: batch.status)
        var changes = Changes([
            "total": .integer(counts.values.reduce(0, +)), "completed": .integer(counts[.succeeded] ?? 0), "failed": .integer(counts[.failed] ?? 0),
            "cancelled": .integer(counts[.cancelled] ?? 0), "status": .text(status.rawValue),
        ])
        if started && batch.startedAt == nil { changes.set("started_at", DatabaseValue(now)) }
        changes.set("finished_at", status.isFinished ? DatabaseValue(batch.finishedAt ?? now) : .null)
        return try await updateOne(.equals("id", DatabaseValue(id)), changes, includeDeleted: true)
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
