import Foundation
import SQLKit
import StoryboardCore

extension Render: Record {
    public static let table = "renders"
    public static let resource = ResourceKind.render
    public static let columns = [
        "project_id", "status", "width", "height", "fps", "duration", "progress", "progress_at", "error", "media_file_id", "attempts",
        "available_at",
        "lease_until", "lease_owner", "started_at", "finished_at",
    ]
    public static let sortableColumns: [String: SortKind] = [:]

    public var values: [DatabaseValue] {
        [
            DatabaseValue(projectID), .text(status.rawValue), .integer(width), .integer(height), .integer(fps), DatabaseValue(duration),
            .real(progress),
            DatabaseValue(progressAt), DatabaseValue(error), DatabaseValue(mediaFileID), .integer(attempts), DatabaseValue(availableAt),
            DatabaseValue(leaseUntil), DatabaseValue(leaseOwner), DatabaseValue(startedAt), DatabaseValue(finishedAt),
        ]
    }

    public init(meta: RecordMetadata, row: any SQLRow) throws {
        let text = try row.decode(column: "status", as: String.self)
        guard let status = JobStatus(rawValue: text) else { throw StoredDataError(column: "status", problem: "is \(text)") }
        self.init(
            meta: meta,
            projectID: try row.uuid("project_id"),
            status: status,
            width: try row.decode(column: "width", as: Int.self),
            height: try row.decode(column: "height", as: Int.self),
            fps: try row.decode(column: "fps", as: Int.self),
            duration: try row.optional("duration", as: Double.self),
            progress: try row.decode(column: "progress", as: Double.self),
            progressAt: try row.optionalTimestamp("progress_at"),
            error: try row.optional("error", as: String.self),
            mediaFileID: try row.optional("media_file_id", as: String.self),
            attempts: try row.decode(column: "attempts", as: Int.self),
            availableAt: try row.timestamp("available_at"),
            leaseUntil: try row.optionalTimestamp("lease_until"),
            leaseOwner: try row.optional("lease_owner", as: String.self),
            startedAt: try row.optionalTimestamp("started_at"),
            finishedAt: try row.optionalTimestamp("finished_at")
        )
    }
}

public typealias RenderRepository = BaseRepository<Render>

extension SQLExecutor {
    public var renders: RenderRepository { RenderRepository(self) }
}

extension BaseRepository where R == Render {
    /// Takes the oldest due queued render and moves it to `running` under a lease held by
    /// `owner`, counting the attempt, in one statement (the job queue's claim: PostgreSQL
    /// skips rows another process is claiming; SQLite's single writer makes it atomic).
    public func claim(owner: String, leaseSeconds: Double, now: Timestamp = .now()) async throws -> Render? {
        let skipLocked = executor.engine == .postgresql ? " FOR UPDATE SKIP LOCKED" : ""
        let nowText = now.description
        let lease = now.adding(seconds: leaseSeconds).description
        // The worker wakes with every finished generation job (they share a wake-up): a read
        // on the claim index first, so that an empty render queue costs no write (on SQLite,
        // no turn on the single writer).
        let due = try await executor.read { sql in
            try await sql.raw(
                "SELECT id FROM renders WHERE status = 'queued' AND deleted_at IS NULL AND available_at <= \(bind: nowText) LIMIT 1"
            ).first()
        }
        guard due != nil else { return nil }
        return try await executor.write { sql in
            let row = try await sql.raw(
                """
                UPDATE renders SET status = 'running', lease_until = \(bind: lease), lease_owner = \(bind: owner), attempts = attempts + 1,
                    started_at = COALESCE(started_at, \(bind: nowText)), updated_at = \(bind: nowText), version = version + 1
                WHERE id = (SELECT id FROM renders WHERE status = 'queued' AND deleted_at IS NULL AND available_at <= \(bind: nowText)
                    ORDER BY available_at, created_at, id LIMIT 1\(unsafeRaw: skipLocked))
                  AND status = 'queued'
                RETURNING \(unsafeRaw: ColumnLists.quoted(Render.self))
                """
            ).first()
            return try row.map { try Render(row: $0) }
        }
    }

    /// Cancels every unfinished render matching `filter` (a deleted project's), with their events.
    @discardableResult
    public func cancelUnfinished(_ filter: Filter, reason: String, now: Timestamp = .now()) async throws -> [Render] {
        let unfinished = filter.and(.oneOf("status", [.text(JobStatus.queued.rawValue), .text(JobStatus.running.rawValue)]))
        let cancelled = try await updateAllReturning(
            unfinished,
            Changes([
                "status": .text(JobStatus.cancelled.rawValue), "lease_until": .null, "lease_owner": .null,
                "finished_at": DatabaseValue(now), "error": .text(reason),
            ])
        )
        try await executor.jobEvents.append(cancelled.map { JobEvent.of($0, .renderCancelled) })
        return cancelled
    }

    /// Renders whose lease ran out (the process rendering them died): back to the queue, or
    /// failed once they have been started `Render.maxAttempts` times. Returns how many.
    @discardableResult
    public func recoverExpiredLeases(now: Timestamp = .now()) async throws -> Int {
        let nowText = now.description
        return try await executor.write { sql in
            try await sql.raw(
                """
                UPDATE renders SET
                    status = CASE WHEN attempts >= \(literal: Render.maxAttempts) THEN 'failed' ELSE 'queued' END,
                    error = CASE WHEN attempts >= \(literal: Render.maxAttempts) THEN 'the process rendering it stopped too many times' ELSE error END,
                    finished_at = CASE WHEN attempts >= \(literal: Render.maxAttempts) THEN \(bind: nowText) ELSE NULL END,
                    lease_until = NULL, lease_owner = NULL, available_at = \(bind: nowText), updated_at = \(bind: nowText), version = version + 1
                WHERE status = 'running' AND lease_until < \(bind: nowText)
                RETURNING id
                """
            ).all().count
        }
    }
}

extension JobEvent {
    /// The event for `render` now: what a client needs to follow it and fetch the result.
    public static func of(_ render: Render, _ kind: Kind) -> JobEvent {
        var data: [String: JSONValue] = [
            "render_id": .string(render.meta.id.uuidString.lowercased()), "status": .string(render.status.rawValue),
            "progress": .number(render.progress), "width": .number(Double(render.width)), "height": .number(Double(render.height)),
            "fps": .number(Double(render.fps)),
        ]
        if let duration = render.duration { data["duration"] = .number(duration) }
        if let error = render.error, kind == .renderFailed || kind == .renderCancelled { data["error"] = .string(error) }
        if render.status == .succeeded, render.mediaFileID != nil { data["media_id"] = .string(render.meta.id.uuidString.lowercased()) }
        return JobEvent(jobID: render.meta.id, batchID: nil, projectID: render.projectID, kind: kind, data: JSONValue.object(data).text)
    }
}
