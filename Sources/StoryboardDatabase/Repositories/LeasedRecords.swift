import Foundation
import StoryboardCore

/// A row of a queue that a process claims under a lease (jobs, renders): `status` moves as
/// `JobStatus` allows, and while it runs only the lease holder (`lease_owner`) may change it.
public protocol LeasedRecord: Record {}

extension GenerationJob: LeasedRecord {}
extension Render: LeasedRecord {}

extension BaseRepository where R: LeasedRecord {
    /// Changes a running row this owner still holds; nil when it no longer does (cancelled,
    /// or its lease expired and another process took it).
    public func updateHeld(id: UUID, owner: String, _ changes: Changes) async throws -> R? {
        try await updateOne(
            Filter.equals("id", DatabaseValue(id)).and(.equals("status", .text(JobStatus.running.rawValue))).and(
                .equals("lease_owner", .text(owner))),
            changes
        )
    }

    /// Moves a row to `next` if its status allows it (JobStatus.canMove), and with `owner` only
    /// while that owner holds it; nil otherwise.
    public func move(
        id: UUID, to next: JobStatus, owner: String? = nil, _ extra: Changes = Changes(), now: Timestamp = .now()
    ) async throws -> R? {
        var changes = extra
        changes.set("status", .text(next.rawValue))
        if next != .running {
            changes.set("lease_until", .null)
            changes.set("lease_owner", .null)
        }
        if next.isFinished { changes.set("finished_at", DatabaseValue(now)) }
        var filter = Filter.equals("id", DatabaseValue(id)).and(.oneOf("status", JobStatus.sources(of: next).map { .text($0.rawValue) }))
        if let owner { filter = filter.and(.equals("lease_owner", .text(owner))) }
        return try await updateOne(filter, changes)
    }
}
