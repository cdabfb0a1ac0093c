import Foundation

/// Exponential back-off with jitter between attempts of a job.
public struct RetryPolicy: Sendable, Equatable {
    public var baseDelay: Double
    public var maxDelay: Double

    public init(baseDelay: Double = 2, maxDelay: Double = 120) {
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    /// Seconds to wait before attempt `attempt + 1`, `attempt` ≥ 1: half to all of the
    /// doubled delay, so jobs failing together do not come back together.
    public func delay<G: RandomNumberGenerator>(afterAttempt attempt: Int, using generator: inout G) -> Double {
        let exponential = min(maxDelay, baseDelay * pow(2, Double(max(attempt - 1, 0))))
        return exponential * Double.random(in: 0.5...1.0, using: &generator)
    }
}
