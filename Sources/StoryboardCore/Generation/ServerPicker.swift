import Foundation

/// A server the dispatcher could send a job to, with what it is doing right now.
public struct ServerCandidate: Sendable, Equatable {
    public var server: GenerationServer
    public var status: ServerStatus
    /// Jobs this dispatcher runs on it at the moment.
    public var running: Int

    public init(server: GenerationServer, status: ServerStatus, running: Int) {
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
