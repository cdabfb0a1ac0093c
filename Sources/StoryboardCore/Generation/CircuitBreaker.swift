import Foundation

/// The circuit breaker: after `threshold` failures in a row a server is taken out of rotation
/// until `reopenAfter` seconds have passed and a check finds it well again.
public struct CircuitBreaker: Sendable, Equatable {
    public var threshold: Int
    public var reopenAfter: Double

    public init(threshold: Int = 3, reopenAfter: Double = 30) {
        self.threshold = threshold
        self.reopenAfter = reopenAfter
    }

    public func recordingFailure(_ status: ServerStatus, error: String, now: Timestamp) -> ServerStatus {
        var next = status
        next.consecutiveFailures += 1
        next.lastError = error
        next.updatedAt = now
        if next.consecutiveFailures >= threshold {
            next.isOnline = false
            next.retryAt = now.adding(seconds: reopenAfter)
        }
        return next
    }

    public func recordingSuccess(_ status: ServerStatus, model: String?, now: Timestamp) -> ServerStatus {
        var next = status
        next.consecutiveFailures = 0
        next.lastError = nil
        next.retryAt = nil
        next.isOnline = true
        if let model { next.lastModel = model }
        // A success that changes nothing writes nothing: on a healthy server that is every job.
        if next != status { next.updatedAt = now }
        return next
    }

    /// Whether a scheduled check is due for `status` (an open circuit waits for `retryAt`).
    public func isCheckDue(_ status: ServerStatus, interval: Double, now: Timestamp) -> Bool {
        if let retryAt = status.retryAt, now < retryAt { return false }
        guard let last = status.lastCheck else { return true }
        return now >= last.adding(seconds: interval) || (!status.isOnline && status.retryAt != nil)
    }
}
