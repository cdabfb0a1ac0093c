import Foundation

/// The last known state of a generation server (the audit's `backends`): filled by checks and
/// by the dispatcher's own successes and failures, read when picking a server.
public struct BackendStatus: Sendable, Equatable {
    /// The server's id (one status row per server).
    public var id: UUID
    /// Copies of the server's name and URL, written in the same transaction as the server.
    public var name: String
    public var url: String
    public var isOnline: Bool
    public var lastCheck: Timestamp?
    public var latencyMs: Double?
    public var queueRunning: Int
    public var queuePending: Int
    /// `devices` of `/system_stats` (JSON array text), or RunPod's `workers`.
    public var devices: String?
    /// `system` of `/system_stats` (JSON object text).
    public var system: String?
    public var capabilities: ServerCapabilities
    public var modelCount: Int
    public var consecutiveFailures: Int
    public var lastError: String?
    /// While the circuit is open: not used for jobs before this time.
    public var retryAt: Timestamp?
    /// The checkpoint it ran last, so jobs for the same model go where it is already loaded.
    public var lastModel: String?
    public var updatedAt: Timestamp

    public init(
        id: UUID, name: String, url: String, isOnline: Bool = false, lastCheck: Timestamp? = nil, latencyMs: Double? = nil,
        queueRunning: Int = 0,
        queuePending: Int = 0, devices: String? = nil, system: String? = nil, capabilities: ServerCapabilities = ServerCapabilities(),
        modelCount: Int = 0, consecutiveFailures: Int = 0, lastError: String? = nil, retryAt: Timestamp? = nil, lastModel: String? = nil,
        updatedAt: Timestamp = .now()
    ) {
        self.id = id
        self.name = name
        self.url = url
        self.isOnline = isOnline
        self.lastCheck = lastCheck
        self.latencyMs = latencyMs
        self.queueRunning = queueRunning
        self.queuePending = queuePending
        self.devices = devices
        self.system = system
        self.capabilities = capabilities
        self.modelCount = modelCount
        self.consecutiveFailures = consecutiveFailures
        self.lastError = lastError
        self.retryAt = retryAt
        self.lastModel = lastModel
        self.updatedAt = updatedAt
    }
}

/// The circuit breaker: after `threshold` failures in a row a server is taken out of rotation
/// until `reopenAfter` seconds have passed and a check finds it well again.
public struct CircuitBreaker: Sendable, Equatable {
    public var threshold: Int
    public var reopenAfter: Double

    public init(threshold: Int = 3, reopenAfter: Double = 30) {
        self.threshold = threshold
        self.reopenAfter = reopenAfter
    }

    public func recordingFailure(_ status: BackendStatus, error: String, now: Timestamp) -> BackendStatus {
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

    public func recordingSuccess(_ status: BackendStatus, model: String?, now: Timestamp) -> BackendStatus {
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
    public func isCheckDue(_ status: BackendStatus, interval: Double, now: Timestamp) -> Bool {
        if let retryAt = status.retryAt, now < retryAt { return false }
        guard let last = status.lastCheck else { return true }
        return now >= last.adding(seconds: interval) || (!status.isOnline && status.retryAt != nil)
    }
}

/// A server the dispatcher could send a job to, with what it is doing right now.
public struct ServerCandidate: Sendable, Equatable {
    public var server: GenerationServer
    public var status: BackendStatus
    /// Jobs this dispatcher runs on it at the moment.
    public var running: Int

    public init(server: GenerationServer, status: BackendStatus, running: Int) {
        self.server = server
        self.status = status
        self.running = running
    }

    public var hasRoom: Bool { running < server.maxConcurrent }
}

/// Picks the server for a job (docs/domain.md's score, lower is better).
public enum ServerPicker {
    /// - Parameters:
    ///   - model: the checkpoint the job loads, if known: servers without it are left out.
    ///   - preferred: the server the request asked for: it wins while online with room.
    ///   - avoid: the server the job just failed on: used only when there is no other.
    public static func pick(
        _ candidates: [ServerCandidate], model: String?, loras: [String] = [], preferred: UUID?, avoid: UUID?, now: Timestamp
    ) -> ServerCandidate? {
        let usable = candidates.filter { candidate in
            guard candidate.server.isActive, candidate.status.isOnline, candidate.hasRoom else { return false }
            if let retryAt = candidate.status.retryAt, now < retryAt { return false }
            // A RunPod endpoint reports no inventory: trust it with any model.
            guard candidate.server.serverType == .comfyui else { return true }
            if let model, !candidate.status.capabilities.checkpoints.contains(model) { return false }
            return loras.allSatisfy { candidate.status.capabilities.loras.contains($0) }
        }
        let others = usable.filter { $0.server.meta.id != avoid }
        // The asked-for server, unless the job just failed there and another can take it.
        if let preferred, let match = usable.first(where: { $0.server.meta.id == preferred }), preferred != avoid || others.isEmpty {
            return match
        }
        let pool = others.isEmpty ? usable : others
        return pool.min { score($0, model: model) < score($1, model: model) }
    }

    public static func score(_ candidate: ServerCandidate, model: String?) -> Double {
        let load = 100 * Double(candidate.running) / Double(max(candidate.server.maxConcurrent, 1))
        let queue = min(5 * Double(candidate.status.queuePending + candidate.status.queueRunning), 50)
        let failureRate = min(Double(candidate.status.consecutiveFailures) / 3, 1)
        let warm = model != nil && candidate.status.lastModel == model ? -10.0 : 0
        return load + queue + 30 * failureRate + warm
    }
}

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
