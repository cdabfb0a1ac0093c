import Foundation
import Logging
import ServiceLifecycle

/// The loop shared by the queues whose rows are claimed under a lease (generation jobs,
/// animatic renders): expired leases back in the queue at start and every half lease,
/// rounds that claim and run what is due, a wait for a wake-up between them, and shutdown
/// stopping the rounds so that what runs goes back to the queue. What a claim, a run and a
/// release are is the queue's own; only the loop and the last writes are here.
struct LeasedQueueWorker: Sendable {
    let wakeup: JobWakeup
    let leaseSeconds: Double
    /// The longest wait between rounds without a wake-up: work that comes due later (a
    /// retry's back-off) is seen this soon.
    let idleWait: Double
    /// What the log says when a round fails.
    let roundFailure: Logger.Message
    /// What the log says when a last write fails.
    let persistFailure: Logger.Message
    let logger: Logger

    /// Recovers expired leases, then runs `round` until shutdown. A round may start runs in
    /// `group`, which outlive it (shutdown cancels them), or run one itself; it returns true
    /// when it ran something and the next round should not wait.
    func run(
        recover: @escaping @Sendable () async -> Void, round: @escaping @Sendable (inout DiscardingTaskGroup) async throws -> Bool
    ) async {
        await recover()
        // Shutdown cancels the loop; each running item then goes back to the queue.
        await cancelWhenGracefulShutdown {
            await loop(recover: recover, round: round)
        }
    }

    private func loop(
        recover: @Sendable () async -> Void, round: @Sendable (inout DiscardingTaskGroup) async throws -> Bool
    ) async {
        await withDiscardingTaskGroup { group in
            var lastRecovery = ContinuousClock.now
            while !Task.isCancelled {
                let seen = wakeup.current
                if ContinuousClock.now - lastRecovery > .seconds(leaseSeconds / 2) {
                    await recover()
                    lastRecovery = ContinuousClock.now
                }
                do {
                    if try await round(&group) { continue }
                } catch {
                    logger.warning(roundFailure, metadata: ["error": "\(error)"])
                }
                await wakeup.wait(after: seen, timeout: idleWait)
            }
        }
    }

    /// Runs a final write (a failure, a release) even while the surrounding task is being
    /// cancelled (shutdown): a cancelled task's statements are never run, and nothing may be
    /// left `running` by a clean stop. Bounded by the database's own timeouts.
    func persist(_ body: @escaping @Sendable () async throws -> Void) async {
        let (logger, message) = (logger, persistFailure)
        await Task {
            do { try await body() } catch {
                logger.warning(message, metadata: ["error": "\(error)"])
            }
        }.value
    }
}
