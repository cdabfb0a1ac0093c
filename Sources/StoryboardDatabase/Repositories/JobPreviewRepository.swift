import Foundation
import SQLKit
import StoryboardCore

/// The latest preview image of a running job, as the generation server streamed it.
public struct JobPreview: Sendable, Equatable {
    public var jobID: UUID
    public var contentType: String
    public var bytes: Data
    /// 1 for the first preview of the attempt, then one more for each that replaced it.
    public var sequence: Int
    public var updatedAt: Timestamp

    public init(jobID: UUID, contentType: String, bytes: Data, sequence: Int = 1, updatedAt: Timestamp = .now()) {
        self.jobID = jobID
        self.contentType = contentType
        self.bytes = bytes
        self.sequence = sequence
        self.updatedAt = updatedAt
    }

    /// Image types a preview may have (the table's check constraint says the same).
    public static let contentTypes: Set<String> = ["image/png", "image/jpeg", "image/webp"]
}

/// `job_previews`: one row per running job, replaced by each newer preview. Rows go away by
/// themselves when the job leaves `running` or is purged (migration 8), so nothing here
/// deletes them.
public struct JobPreviewRepository: Sendable {
    let executor: any SQLExecutor

    public init(_ executor: any SQLExecutor) { self.executor = executor }

    /// Replaces the job's preview; returns its sequence number. Run it in the transaction that
    /// first updated the job as its holder (`updateHeld`): that update locks the job row, so a
    /// cancel cannot slip in between and leave a preview behind for a finished job.
    @discardableResult
    public func put(jobID: UUID, contentType: String, bytes: Data, now: Timestamp = .now()) async throws -> Int {
        let key = jobID.uuidString.lowercased()
        let time = now.description
        return try await executor.write { sql in
            let row = try await sql.raw(
                """
                INSERT INTO job_previews (job_id, content_type, bytes, sequence, updated_at) VALUES (\(bind: key), \(bind: contentType), \(bind: bytes), 1, \(bind: time))
                ON CONFLICT (job_id) DO UPDATE SET content_type = excluded.content_type, bytes = excluded.bytes,
                    sequence = job_previews.sequence + 1, updated_at = excluded.updated_at
                RETURNING sequence
                """
            ).first()
            return try row?.decode(column: "sequence", as: Int.self) ?? 1
        }
    }

    public func find(jobID: UUID) async throws -> JobPreview? {
        let key = jobID.uuidString.lowercased()
        return try await executor.read { sql in
            try await sql.raw("SELECT job_id, content_type, bytes, sequence, updated_at FROM job_previews WHERE job_id = \(bind: key)")
                .first().map { row in
                    JobPreview(
                        jobID: try row.uuid("job_id"), contentType: try row.decode(column: "content_type", as: String.self),
                        bytes: try row.decode(column: "bytes", as: Data.self), sequence: try row.decode(column: "sequence", as: Int.self),
                        updatedAt: try row.timestamp("updated_at")
                    )
                }
        }
    }

    /// How many previews are kept (at most one per running job).
    public func count() async throws -> Int {
        try await executor.read { sql in
            try await sql.raw("SELECT COUNT(*) AS n FROM job_previews").first()?.decode(column: "n", as: Int.self) ?? 0
        }
    }
}

extension SQLExecutor {
    public var jobPreviews: JobPreviewRepository { JobPreviewRepository(self) }
}
