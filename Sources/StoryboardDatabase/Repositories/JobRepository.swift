import Foundation
import SQLKit
import StoryboardCore

extension GenerationJob: Record {
    public static let table = "generation_jobs"
    public static let resource = ResourceKind.job
    public static let columns = [
        "project_id", "clip_id", "character_id", "batch_id", "target", "generation_type", "status", "priority", "attempts", "max_retries",
        "available_at", "lease_until", "lease_owner", "server_id", "preferred_server_id", "model", "prompt", "negative_prompt", "params",
        "upstream_id", "progress_value", "progress_max", "progress_at", "error", "result_media_ids", "started_at", "finished_at",
        "retried_by",
        "destination", "source_media_id", "workflow_id", "custom_workflow",
    ]
    public static let sortableColumns: [String: SortKind] = ["priority": .number]

    public var values: [DatabaseValue] {
        [
            DatabaseValue(projectID), DatabaseValue(clipID), DatabaseValue(characterID), DatabaseValue(batchID), .text(target.rawValue),
            .text(generationType.rawValue), .text(status.rawValue), .integer(priority), .integer(attempts), .integer(maxRetries),
            DatabaseValue(availableAt), DatabaseValue(leaseUntil), DatabaseValue(leaseOwner), DatabaseValue(serverID),
            DatabaseValue(preferredServerID),
            DatabaseValue(model), .text(prompt), DatabaseValue(negativePrompt), .text(params), DatabaseValue(upstreamID),
            DatabaseValue(progressValue),
            DatabaseValue(progressMax), DatabaseValue(progressAt), DatabaseValue(error), DatabaseValue(resultMediaIDs),
            DatabaseValue(startedAt),
            DatabaseValue(finishedAt), DatabaseValue(retriedBy), .text(destination.rawValue), DatabaseValue(sourceMediaID),
            DatabaseValue(workflowID),
            DatabaseValue(customWorkflow),
        ]
    }

    public init(meta: RecordMetadata, row: any SQLRow) throws {
        func parse<T: RawRepresentable<String>>(_ column: String, as type: T.Type) throws -> T {
            let text = try row.decode(column: column, as: String.self)
            guard let value = T(rawValue: text) else { throw StoredDataError(column: column, problem: "is \(text)") }
            return value
        }
        self.init(
            meta: meta,
            projectID: try row.uuid("project_id"),
            clipID: try row.optionalUUID("clip_id"),
            characterID: try row.optionalUUID("character_id"),
            batchID: try row.optionalUUID("batch_id"),
            target: try parse("target", as: JobTarget.self),
            destination: try parse("destination", as: JobDestination.self),
            generationType: try parse("generation_type", as: GenerationType.self),
            status: try parse("status", as: JobStatus.self),
            priority: try row.decode(column: "priority", as: Int.self),
            attempts: try row.decode(column: "attempts", as: Int.self),
            maxRetries: try row.decode(column: "max_retries", as: Int.self),
            availableAt: try row.timestamp("available_at"),
            leaseUntil: try row.optionalTimestamp("lease_until"),
            leaseOwner: try row.optional("lease_owner", as: String.self),
            serverID: try row.optionalUUID("server_id"),
            preferredServerID: try row.optionalUUID("preferred_server_id"),
            model: try row.optional("model", as: String.self),
            prompt: try row.decode(column: "prompt", as: String.self),
            negativePrompt: try row.optional("negative_prompt", as: String.self),
            params: try row.decode(column: "params", as: String.self),
            upstreamID: try row.optional("upstream_id", as: String.self),
            progressValue: try row.optional("progress_value", as: Int.self),
            progressMax: try row.optional("progress_max", as: Int.self),
            progressAt: try row.optionalTimestamp("progress_at"),
            error: try row.optional("error", as: String.self),
            resultMediaIDs: try row.optional("result_media_ids", as: String.self),
            startedAt: try row.optionalTimestamp("started_at"),
            finishedAt: try row.optionalTimestamp("finished_at"),
            retriedBy: try row.optionalUUID("retried_by"),
            sourceMediaID: try row.optional("source_media_id", as: String.self),
            workflowID: try row.optionalUUID("workflow_id"),
            customWorkflow: try row.optional("custom_workflow", as: String.self)
        )
    }
}

public typealias JobRepository = BaseRepository<GenerationJob>

extension SQLExecutor {
    public var jobs: JobRepository { JobRepository(self) }
}

extension BaseRepository where R == GenerationJob {
    /// Takes the next due job (highest priority, then oldest) and moves it to `running` under a
    /// lease held by `owner`, in one statement. PostgreSQL skips rows another process is
    /// claiming at that moment; SQLite's single writer makes the statement atomic by itself.
    /// Jobs asked for a pull-mode server wait for that server to call in.
    public func claim(owner: String, leaseSeconds: Double, now: Timestamp = .now()) async throws -> GenerationJob? {
        let pull = executor.engine == .sqlite ? "1" : "TRUE"
        // A deleted pull-mode server calls in no more: what was asked for it may run anywhere.
        let notPulled = SQLRaw(
            "(preferred_server_id IS NULL OR preferred_server_id NOT IN (SELECT id FROM comfyui_servers WHERE pull_mode = \(pull) AND deleted_at IS NULL))"
        )
        return try await claim(owner: owner, leaseSeconds: leaseSeconds, now: now, condition: notPulled, assign: nil)
    }

    /// The next due job for a pull-mode server that calls in: asked for that server or for
    /// none, and (when it names its checkpoints) needing one of them or none. The claim
    /// records the server and counts the attempt, since no dispatcher does.
    public func claim(
        forServer serverID: UUID, checkpoints: [String], owner: String, leaseSeconds: Double, now: Timestamp = .now()
    ) async throws -> GenerationJob? {
        var condition: SQLQueryString = "(preferred_server_id IS NULL OR preferred_server_id = \(bind: serverID.uuidString.lowercased()))"
        if !checkpoints.isEmpty {
            condition = "\(condition) AND (model IS NULL OR model IN (\(binds: checkpoints)))"
        }
        return try await claim(owner: owner, leaseSeconds: leaseSeconds, now: now, condition: condition, assign: serverID)
    }

    private func claim(
        owner: String, leaseSeconds: Double, now: Timestamp, condition: any SQLExpression, assign serverID: UUID?
    ) async throws -> GenerationJob? {
        let skipLocked = executor.engine == .postgresql ? " FOR UPDATE SKIP LOCKED" : ""
        // Without stats SQLite prefers the status index and sorts every queued job for each
        // claim (1 ms at 1,000 queued); the claim index already holds them in claim order.
        let claimIndex = executor.engine == .sqlite ? " INDEXED BY generation_jobs_claim" : ""
        let nowText = now.description
        let lease = now.adding(seconds: leaseSeconds).description
        let assignment: SQLQueryString =
            if let serverID {
                ", server_id = \(bind: serverID.uuidString.lowercased()), attempts = attempts + 1, error = NULL"
            } else {
                ""
            }
        return try await executor.write { sql in
            let row = try await sql.raw(
                """
                UPDATE generation_jobs SET status = 'running', lease_until = \(bind: lease), lease_owner = \(bind: owner),
                    started_at = COALESCE(started_at, \(bind: nowText)), updated_at = \(bind: nowText), version = version + 1\(assignment)
                WHERE id = (SELECT id FROM generation_jobs\(unsafeRaw: claimIndex) WHERE status = 'queued' AND deleted_at IS NULL AND available_at <= \(bind: nowText)
                    AND \(condition) ORDER BY priority DESC, created_at, id LIMIT 1\(unsafeRaw: skipLocked))
                  AND status = 'queued'
                RETURNING \(unsafeRaw: ColumnLists.quoted(GenerationJob.self))
                """
            ).first()
            return try row.map { try GenerationJob(row: $0) }
        }
    }

    /// Purges the trashed jobs matching `filter` in one statement; returns the batches they
    /// belonged to, whose counts then change.
    public func purgeAll(returningBatchesOf filter: Filter) async throws -> Set<UUID> {
        let predicate = try predicate(filter.and(.isNotNull("deleted_at")), includeDeleted: true)
        return try await executor.write { sql in
            let rows = try await sql.delete(from: GenerationJob.table).where(predicate).returning(SQLIdentifier("batch_id")).all()
            return Set(try rows.compactMap { try $0.optionalUUID("batch_id") })
        }
    }

    /// Cancels every unfinished job matching `filter` (a deleted clip's or project's, a
    /// cancelled batch's); returns the batches they belonged to, whose counts then change.
    @discardableResult
    public func cancelUnfinished(_ filter: Filter, reason: String, now: Timestamp = .now()) async throws -> Set<UUID> {
        let unfinished = filter.and(.oneOf("status", [.text(JobStatus.queued.rawValue), .text(JobStatus.running.rawValue)]))
        let cancelled = try await updateAllReturning(
            unfinished,
            Changes([
                "status": .text(JobStatus.cancelled.rawValue), "lease_until": .null, "lease_owner": .null,
                "finished_at": DatabaseValue(now),
                "error": .text(reason),
            ])
        )
        try await executor.jobEvents.append(cancelled.map { JobEvent.of($0, .cancelled) })
        return Set(cancelled.compactMap(\.batchID))
    }

    /// Jobs whose lease ran out (the process holding them died): back to the queue, or failed
    /// when they have used up their attempts. Returns how many were recovered, and the batches
    /// of those that failed (their counts change).
    @discardableResult
    public func recoverExpiredLeases(now: Timestamp = .now()) async throws -> (recovered: Int, failedBatches: Set<UUID>) {
        let nowText = now.description
        return try await executor.write { sql in
            let rows = try await sql.raw(
                """
                UPDATE generation_jobs SET
                    status = CASE WHEN attempts > max_retries THEN 'failed' ELSE 'queued' END,
                    error = CASE WHEN attempts > max_retries THEN 'the process running it stopped and no attempts are left' ELSE error END,
                    finished_at = CASE WHEN attempts > max_retries THEN \(bind: nowText) ELSE NULL END,
                    lease_until = NULL, lease_owner = NULL, available_at = \(bind: nowText), updated_at = \(bind: nowText), version = version + 1
                WHERE status = 'running' AND lease_until < \(bind: nowText)
                RETURNING id, batch_id, status
                """
            ).all()
            var batches = Set<UUID>()
            for row in rows where try row.decode(column: "status", as: String.self) == JobStatus.failed.rawValue {
                if let batch = try row.optionalUUID("batch_id") { batches.insert(batch) }
            }
            return (rows.count, batches)
        }
    }

    /// Jobs counted by status (for `/metrics` and the queue page).
    public func countByStatus() async throws -> [JobStatus: Int] {
        try await executor.read { sql in
            var counts: [JobStatus: Int] = [:]
            for row in try await sql.raw("SELECT status, COUNT(*) AS n FROM generation_jobs WHERE deleted_at IS NULL GROUP BY status").all()
            {
                if let status = JobStatus(rawValue: try row.decode(column: "status", as: String.self)) {
                    counts[status] = try row.decode(column: "n", as: Int.self)
                }
            }
            return counts
        }
    }
}

extension BaseRepository where R == GenerationJob {
    /// Running jobs per server, across every process sharing the database.
    public func runningCountByServer() async throws -> [UUID: Int] {
        try await executor.read { sql in
            var counts: [UUID: Int] = [:]
            for row in try await sql.raw(
                "SELECT server_id, COUNT(*) AS n FROM generation_jobs WHERE status = 'running' AND server_id IS NOT NULL GROUP BY server_id"
            ).all() {
                if let id = try row.optionalUUID("server_id") { counts[id] = try row.decode(column: "n", as: Int.self) }
            }
            return counts
        }
    }
}

extension BaseRepository where R == GenerationJob {
    /// Who a job cleared from the queue was "deleted by" (`deleted_by`): the mark that tells a
    /// cleared job (no `deletion_id`, never in the trash) from one trashed with its clip.
    public static let clearedBy = "queue"

    /// Changes the priority of a job that is still queued (at `expectedVersion` when given);
    /// nil when it is not queued (any more), so the caller can say why.
    public func setPriority(id: UUID, _ priority: Int, expectedVersion: Int?) async throws -> GenerationJob? {
        var filter = Filter.equals("id", DatabaseValue(id)).and(.equals("status", .text(JobStatus.queued.rawValue)))
        if let expectedVersion { filter = filter.and(.equals("version", .integer(expectedVersion))) }
        return try await updateOne(filter, Changes(["priority": .integer(priority)]))
    }

    /// Takes every finished job matching `filter` out of the queue in one statement: they are
    /// soft-deleted without a deletion (see docs/decisions.md), so lists and counts skip them
    /// while their gallery media, batch counts and history stay. Returns how many went.
    public func clearFinished(_ filter: Filter, now: Timestamp = .now()) async throws -> Int {
        let finished = JobStatus.allCases.filter(\.isFinished).map { DatabaseValue.text($0.rawValue) }
        let predicate = try predicate(filter.and(.oneOf("status", finished)), includeDeleted: false)
        let stamp = DatabaseValue(now).expression
        return try await executor.write { sql in
            try await sql.update(GenerationJob.table)
                .set(SQLIdentifier("deleted_at"), to: stamp)
                .set(SQLIdentifier("deleted_by"), to: SQLBind(Self.clearedBy))
                .set(SQLIdentifier("version"), to: SQLRaw("\"version\" + 1"))
                .set(SQLIdentifier("updated_at"), to: stamp)
                .where(predicate)
                .returning(SQLIdentifier("id")).all().count
        }
    }
}
