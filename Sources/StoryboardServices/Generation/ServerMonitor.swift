import Foundation
import Logging
import StoryboardCore
import StoryboardDatabase

/// Checks generation servers and keeps their status rows (`backends`): on demand
/// (`POST /api/servers/{id}/check`), on a schedule, and from the dispatcher's own
/// successes and failures (the circuit breaker).
public struct ServerMonitor: Sendable {
    let database: Database
    let http: UpstreamHTTP
    let settings: GenerationSettings
    let logger: Logger

    public init(database: Database, http: UpstreamHTTP, settings: GenerationSettings, logger: Logger = Logger(label: "storyboard.servers"))
    {
        self.database = database
        self.http = http
        self.settings = settings
        self.logger = logger
    }

    var breaker: CircuitBreaker { CircuitBreaker(threshold: settings.failureThreshold, reopenAfter: settings.offlineRetryAfter) }

    /// Calls the server now and records what it said. An unreachable server is not an error
    /// of this call: the answer says it is offline, and why.
    public func check(id: UUID) async throws -> ServerStatus {
        let server = try await database.servers.get(id: id)
        guard !server.pullMode else {
            throw AppError(
                .conflict, "Server \(id.lowercasedString) is in pull mode: it calls in for work and is never called",
                details: ["pull_mode": true])
        }
        return try await check(server)
    }

    @discardableResult
    func check(_ server: GenerationServer) async throws -> ServerStatus {
        let started = Timestamp.now()
        let result: Result<ServerCheck, UpstreamError>
        do {
            switch server.serverType {
            case .comfyui: result = .success(try await ComfyUIClient(http: http, server: server, timeout: settings.requestTimeout).check())
            case .runpod: result = .success(try await RunPodClient(http: http, server: server, timeout: settings.requestTimeout).check())
            }
        } catch {
            result = .failure(error)
        }
        let now = Timestamp.now()
        return try await database.transaction { tx in
            // The server may have been deleted while it was being called.
            guard try await tx.servers.find(id: server.meta.id) != nil else {
                throw AppError.notFound(.server, id: server.meta.id.lowercasedString)
            }
            var status =
                try await tx.serverStatuses.find(id: server.meta.id, forUpdate: true)
                ?? ServerStatus(id: server.meta.id, name: server.name, url: server.url)
            // A check that began after this one has already written what it saw: newer news wins.
            if let last = status.lastCheck, last > started { return status }
            status.name = server.name
            status.url = server.url
            status.lastCheck = started
            status.updatedAt = now
            switch result {
            case .success(let check):
                status.isOnline = true
                status.latencyMs = check.latencyMs
                status.queueRunning = check.queueRunning
                status.queuePending = check.queuePending
                status.devices = check.devices?.text
                status.system = check.system?.text
                if let capabilities = check.capabilities {
                    status.capabilities = capabilities
                    status.modelCount = capabilities.checkpoints.count + capabilities.loras.count
                }
                status.consecutiveFailures = 0
                status.lastError = nil
                status.retryAt = nil
            case .failure(let error):
                status.isOnline = false
                status.latencyMs = nil
                status.lastError = error.message
                status.consecutiveFailures += 1
                // Still down after its pause: the circuit stays open for another one.
                if status.retryAt != nil { status.retryAt = now.adding(seconds: settings.offlineRetryAfter) }
            }
            try await tx.serverStatuses.save(status)
            return status
        }
    }

    /// The status row of a server (nil before its first check).
    public func status(of id: UUID) async throws -> ServerStatus? {
        try await database.serverStatuses.find(id: id)
    }

    /// Every server's last check.
    public func statuses() async throws -> [ServerStatus] {
        try await database.serverStatuses.all()
    }

    /// Checks every active server whose check is due (an open circuit waits out its pause).
    public func checkDue() async {
        do {
            let servers = try await database.servers.all(Filter.equals("is_active", .bool(true)).and(.equals("pull_mode", .bool(false))))
            let statuses = Dictionary(try await database.serverStatuses.all().map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            let now = Timestamp.now()
            await withTaskGroup(of: Void.self) { group in
                for server in servers {
                    if let status = statuses[server.meta.id], !breaker.isCheckDue(status, interval: settings.checkInterval, now: now) {
                        continue
                    }
                    group.addTask {
                        do {
                            let status = try await check(server)
                            if !status.isOnline {
                                logger.notice(
                                    "generation server is offline",
                                    metadata: ["server": "\(server.name)", "error": "\(status.lastError ?? "")"])
                            }
                        } catch {
                            logger.warning(
                                "server check could not be recorded", metadata: ["server": "\(server.name)", "error": "\(error)"])
                        }
                    }
                }
            }
        } catch {
            logger.warning("scheduled server checks failed", metadata: ["error": "\(error)"])
        }
    }

    /// A job failed on this server for a reason that may be the server's (circuit breaker).
    func recordFailure(serverID: UUID, error: String) async {
        await update(serverID) { breaker.recordingFailure($0, error: error, now: .now()) }
    }

    func recordSuccess(serverID: UUID, model: String?) async {
        await update(serverID) { breaker.recordingSuccess($0, model: model, now: .now()) }
    }

    private func update(_ serverID: UUID, _ change: @Sendable (ServerStatus) -> ServerStatus) async {
        do {
            try await database.transaction { tx in
                guard let status = try await tx.serverStatuses.find(id: serverID, forUpdate: true) else { return }
                let next = change(status)
                if next != status { try await tx.serverStatuses.save(next) }
            }
        } catch {
            logger.warning(
                "server status could not be recorded", metadata: ["server_id": "\(serverID.lowercasedString)", "error": "\(error)"])
        }
    }
}
