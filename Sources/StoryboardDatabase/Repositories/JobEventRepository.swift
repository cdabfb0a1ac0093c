import Foundation
import SQLKit
import StoryboardCore

/// One thing that happened to a job, as clients receive it over Server-Sent Events.
public struct JobEvent: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case queued, started, progress, preview, succeeded, failed, cancelled, retrying
        // Animatic renders, on the same stream (`job_id` is then the render's id).
        case renderQueued = "render_queued"
        case renderStarted = "render_started"
        case renderProgress = "render_progress"
        case renderSucceeded = "render_succeeded"
        case renderFailed = "render_failed"
        case renderCancelled = "render_cancelled"
    }

    /// Increasing in commit order (the `id:` of the event stream).
    public var id: Int64
    public var jobID: UUID
    public var batchID: UUID?
    public var projectID: UUID
    public var kind: Kind
    /// JSON object text.
    public var data: String
    public var createdAt: Timestamp

    public init(id: Int64 = 0, jobID: UUID, batchID: UUID?, projectID: UUID, kind: Kind, data: String, createdAt: Timestamp = .now()) {
        self.id = id
        self.jobID = jobID
        self.batchID = batchID
        self.projectID = projectID
        self.kind = kind
        self.data = data
        self.createdAt = createdAt
    }
}

/// The event log (`job_events`): appended in the transaction that changed the job, read in
/// id order from a position.
public struct JobEventRepository: Sendable {
    let executor: any SQLExecutor

    public init(_ executor: any SQLExecutor) { self.executor = executor }

    /// Appends events. On PostgreSQL an advisory lock held to the end of the transaction
    /// makes ids commit in order, so a reader that has seen id N never later finds a smaller
    /// one appear (a sequence alone hands out ids before commit, in any order).
    public func append(_ events: [JobEvent]) async throws {
        guard !events.isEmpty else { return }
        try await executor.write { sql in
            if executor.engine == .postgresql { try await sql.raw("SELECT pg_advisory_xact_lock(7271002)").run() }
            for chunk in stride(from: 0, to: events.count, by: 200) {
                let insert = sql.insert(into: "job_events").columns(["job_id", "batch_id", "project_id", "type", "data", "created_at"])
                for event in events[chunk..<min(chunk + 200, events.count)] {
                    insert.values(
                        [
                            DatabaseValue(event.jobID), DatabaseValue(event.batchID), DatabaseValue(event.projectID),
                            .text(event.kind.rawValue), .text(event.data),
                            DatabaseValue(event.createdAt),
                        ].map(\.expression))
                }
                try await insert.run()
            }
        }
    }

    /// Events after `position` of one batch or one project, oldest first.
    public func after(_ position: Int64, batchID: UUID? = nil, projectID: UUID? = nil, limit: Int = 500) async throws -> [JobEvent] {
        let (column, key) = batchID.map { ("batch_id", $0) } ?? ("project_id", projectID ?? UUID())
        let text = key.uuidString.lowercased()
        return try await executor.read { sql in
            try await sql.raw(
                "SELECT id, job_id, batch_id, project_id, type, data, created_at FROM job_events WHERE \(ident: column) = \(bind: text) AND id > \(bind: position) ORDER BY id LIMIT \(literal: limit)"
            ).all().map { row in
                let type = try row.decode(column: "type", as: String.self)
                guard let kind = JobEvent.Kind(rawValue: type) else { throw StoredDataError(column: "type", problem: "is \(type)") }
                return JobEvent(
                    id: try row.decode(column: "id", as: Int64.self), jobID: try row.uuid("job_id"),
                    batchID: try row.optionalUUID("batch_id"),
                    projectID: try row.uuid("project_id"), kind: kind, data: try row.decode(column: "data", as: String.self),
                    createdAt: try row.timestamp("created_at")
                )
            }
        }
    }

    /// A purged project's events.
    public func removeAll(projectID: UUID) async throws {
        let text = projectID.uuidString.lowercased()
        try await executor.write { sql in try await sql.raw("DELETE FROM job_events WHERE project_id = \(bind: text)").run() }
    }

    /// Drops events older than `cutoff` (a stream resumes within minutes, not days).
    @discardableResult
    public func removeOlder(than cutoff: Timestamp) async throws -> Int {
        let text = cutoff.description
        return try await executor.write { sql in
            try await sql.raw("DELETE FROM job_events WHERE created_at < \(bind: text) RETURNING id").all().count
        }
    }
}

extension SQLExecutor {
    public var jobEvents: JobEventRepository { JobEventRepository(self) }
}

extension JobEvent {
    /// A new preview image of a running job: where to fetch it, not the bytes (an event
    /// stream stays small; a client that skips a few previews loses nothing).
    public static func preview(of job: GenerationJob, sequence: Int, contentType: String) -> JobEvent {
        of(
            job, .preview,
            extra: [
                "sequence": .number(Double(sequence)), "content_type": .string(contentType),
                "url": .string("/api/jobs/\(job.meta.id.uuidString.lowercased())/preview"),
            ])
    }

    /// The event for `job` now, with what a client needs to act on it.
    public static func of(_ job: GenerationJob, _ kind: Kind, mediaIDs: [String]? = nil, extra: [String: JSONValue] = [:]) -> JobEvent {
        var data: [String: JSONValue] = extra.merging([
            "job_id": .string(job.meta.id.uuidString.lowercased()), "status": .string(job.status.rawValue),
            "attempts": .number(Double(job.attempts)),
            "target": .string(job.target.rawValue),
        ]) { _, own in own }
        if let clip = job.clipID { data["clip_id"] = .string(clip.uuidString.lowercased()) }
        if let character = job.characterID { data["character_id"] = .string(character.uuidString.lowercased()) }
        if let batch = job.batchID { data["batch_id"] = .string(batch.uuidString.lowercased()) }
        if let server = job.serverID { data["server_id"] = .string(server.uuidString.lowercased()) }
        if let error = job.error, kind == .failed || kind == .retrying || kind == .cancelled { data["error"] = .string(error) }
        if let mediaIDs { data["media_ids"] = .array(mediaIDs.map(JSONValue.string)) }
        if kind == .progress, let value = job.progressValue, let max = job.progressMax {
            data["value"] = .number(Double(value))
            data["max"] = .number(Double(max))
        }
        return JobEvent(jobID: job.meta.id, batchID: job.batchID, projectID: job.projectID, kind: kind, data: JSONValue.object(data).text)
    }
}
