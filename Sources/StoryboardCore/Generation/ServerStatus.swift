import Foundation

/// The live status of a generation server, beside its registry entry (`GenerationServer`, table
/// `comfyui_servers`): kept in the audit's `backends` table, filled by checks and by the
/// dispatcher's own successes and failures, read when picking a server.
public struct ServerStatus: Sendable, Equatable {
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
