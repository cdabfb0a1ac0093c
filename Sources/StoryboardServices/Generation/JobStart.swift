import Foundation
import StoryboardCore
import StoryboardDatabase

/// What happens when a job starts running, wherever it runs: its batch is running and the
/// `started` event is out.
enum JobStart {
    /// `markBatch` false: the caller already saw the job's batch leave `queued` (it never goes
    /// back), so the batch row is not touched again for each of its jobs.
    static func record(_ job: GenerationJob, in tx: Transaction, markBatch: Bool = true) async throws {
        if markBatch, let batch = job.batchID { try await tx.batches.markStarted(batch) }
        try await tx.jobEvents.append([JobEvent.of(job, .started)])
    }
}
