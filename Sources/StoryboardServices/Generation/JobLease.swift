import Foundation
import Logging
import StoryboardCore
import StoryboardDatabase

/// The writes of one running job under this process's lease: its attempt's start, its
/// upstream id, its progress and previews, its lease's renewal, and the look at its row
/// that sees a cancel. Every one is guarded by the lease (`status = 'running' AND
/// lease_owner = <owner>`), so a process that lost the job cannot write over it.
struct JobLease: Sendable {
    let database: Database
    let jobID: UUID
    let owner: String
    let leaseSeconds: Double

    /// Writes an attempt's start in `tx`: server, count, model and a new lease, with its
    /// `started` event; false when `owner` no longer holds the job.
    static func writeStart(
        of job: GenerationJob, on server: GenerationServer, checkpoint: String, owner: String, leaseSeconds: Double, markBatch: Bool,
        in tx: Transaction
    ) async throws -> Bool {
        let changes = Changes([
            "server_id": DatabaseValue(server.meta.id), "attempts": .integer(job.attempts + 1), "model": .text(checkpoint), "error": .null,
            "lease_until": DatabaseValue(Timestamp.now().adding(seconds: leaseSeconds)),
            // A new attempt starts from step 0.
            "progress_value": .null, "progress_max": .null, "progress_at": .null,
        ])
        guard let held = try await tx.jobs.updateHeld(id: job.meta.id, owner: owner, changes) else { return false }
        try await JobStart.record(held, in: tx, markBatch: markBatch)
        return true
    }

    /// Whether the job's row still says it runs under this lease: a cancel is seen here.
    func isHeld() async throws -> Bool {
        let current = try await database.jobs.find(id: jobID)
        guard let current, current.status == .running, current.leaseOwner == owner else { return false }
        return true
    }

    /// Changes the job while this process still holds it; stops the run when it does not.
    func hold(_ changes: Changes) async throws {
        var changes = changes
        changes.set("lease_until", DatabaseValue(Timestamp.now().adding(seconds: leaseSeconds)))
        guard try await database.jobs.updateHeld(id: jobID, owner: owner, changes) != nil else {
            throw JobRun.Stop(reason: "no longer held (cancelled or taken over)")
        }
    }

    /// A longer lease, nothing else changed; stops the run when the job is no longer held.
    func renew() async throws {
        try await hold(Changes())
    }

    /// The upstream's id, once it took the work and before it is followed (RunPod); a job
    /// cancelled meanwhile has it taken back.
    func recordUpstream(_ id: String, cancel: @Sendable () async -> Void) async throws {
        do {
            try await hold(Changes(["upstream_id": .text(id)]))
        } catch is CancellationError {
            // The process is stopping: the job goes back to the queue, its run with it.
            throw CancellationError()
        } catch {
            await cancel()
            throw error
        }
    }

    /// The upstream's id, written beside a running prompt: best effort. Nothing reads it to
    /// decide anything, and a job cancelled meanwhile is seen by the follow loop's look at its
    /// row, which interrupts the prompt. Interrupting it from here would make ComfyUI report
    /// an error that the server's breaker is then charged with, for a database's hiccup.
    func noteUpstream(_ id: String, logger: Logger) async {
        do {
            try await hold(Changes(["upstream_id": .text(id)]))
        } catch is CancellationError {
        } catch is JobRun.Stop {
        } catch {
            logger.warning(
                "the upstream id of a running job could not be written",
                metadata: ["job_id": "\(jobID.lowercasedString)", "error": "\(error)"]
            )
        }
    }

    /// Writes the job's latest progress and preview, with their events, in one transaction
    /// that also renews the lease; false when the job is no longer held.
    func record(_ updates: JobWatch.Updates) async throws -> Bool {
        var changes = Changes([
            "progress_at": DatabaseValue(updates.signAt),
            "lease_until": DatabaseValue(Timestamp.now().adding(seconds: leaseSeconds)),
        ])
        if let progress = updates.progress {
            changes.set("progress_value", .integer(progress.value))
            changes.set("progress_max", .integer(progress.max))
        }
        let (jobID, owner) = (jobID, owner)
        return try await database.transaction { tx -> Bool in
            // First the job row: on PostgreSQL this locks it, so a cancel waits for this
            // transaction and its status change then removes the preview written here.
            guard let held = try await tx.jobs.updateHeld(id: jobID, owner: owner, changes) else { return false }
            // The preview before the step it shows: a stream's last word before the end is
            // then always the step, however the prompt's messages fell between two writes.
            var events: [JobEvent] = []
            if let preview = updates.preview {
                let sequence = try await tx.jobPreviews.put(jobID: jobID, contentType: preview.contentType, bytes: preview.bytes)
                events.append(JobEvent.preview(of: held, sequence: sequence, contentType: preview.contentType))
            }
            if updates.progress != nil { events.append(JobEvent.of(held, .progress)) }
            try await tx.jobEvents.append(events)
            return true
        }
    }
}
