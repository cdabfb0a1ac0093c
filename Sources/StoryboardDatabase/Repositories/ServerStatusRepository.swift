import Foundation
import SQLKit
import StoryboardCore

/// Server status rows (`backends`), one per server, written by checks and by the dispatcher.
public struct ServerStatusRepository: Sendable {
    let executor: any SQLExecutor

    public init(_ executor: any SQLExecutor) { self.executor = executor }

    static let columns = [
        "id", "name", "url", "is_online", "last_check", "latency_ms", "queue_running", "queue_pending", "devices", "system", "capabilities",
        "model_count", "consecutive_failures", "last_error", "retry_at", "last_model", "updated_at",
    ]

    public func find(id: UUID, forUpdate: Bool = false) async throws -> ServerStatus? {
        let lock = forUpdate && executor.engine == .postgresql ? " FOR UPDATE" : ""
        let key = id.uuidString.lowercased()
        return try await (forUpdate ? executor.write : executor.read) { sql in
            try await sql.raw("SELECT * FROM backends WHERE id = \(bind: key)\(unsafeRaw: lock)").first().map(Self.decode)
        }
    }

    public func all() async throws -> [ServerStatus] {
        try await executor.read { sql in
            try await sql.raw("SELECT * FROM backends ORDER BY id").all().map(Self.decode)
        }
    }

    /// Writes the whole row (inserting it the first time).
    public func save(_ status: ServerStatus) async throws {
        let values: [DatabaseValue] = [
            DatabaseValue(status.id), .text(status.name), .text(status.url), .bool(status.isOnline), DatabaseValue(status.lastCheck),
            DatabaseValue(status.latencyMs), .integer(status.queueRunning), .integer(status.queuePending), DatabaseValue(status.devices),
            DatabaseValue(status.system), .text(Self.encode(status.capabilities)), .integer(status.modelCount),
            .integer(status.consecutiveFailures),
            DatabaseValue(status.lastError), DatabaseValue(status.retryAt), DatabaseValue(status.lastModel),
            DatabaseValue(status.updatedAt),
        ]
        try await executor.write { sql in
            let insert = sql.insert(into: "backends").columns(Self.columns).values(values.map(\.expression))
            try await insert.onConflict(with: ["id"]) { conflict in
                var update = conflict
                for column in Self.columns.dropFirst() {
                    update = update.set(excludedValueOf: column)
                }
                return update
            }.run()
        }
    }

    /// Keeps the copies of a server's name and URL right (same transaction as the server's
    /// change). A new URL is another machine: offline until it is checked.
    public func rename(id: UUID, name: String, url: String, urlChanged: Bool) async throws {
        let key = id.uuidString.lowercased()
        let reset = urlChanged ? ", is_online = \(executor.engine == .sqlite ? "0" : "false"), last_check = NULL" : ""
        try await executor.write { sql in
            try await sql.raw("UPDATE backends SET name = \(bind: name), url = \(bind: url)\(unsafeRaw: reset) WHERE id = \(bind: key)")
                .run()
        }
    }

    public func remove(id: UUID) async throws {
        let key = id.uuidString.lowercased()
        try await executor.write { sql in try await sql.raw("DELETE FROM backends WHERE id = \(bind: key)").run() }
    }

    static func decode(_ row: any SQLRow) throws -> ServerStatus {
        ServerStatus(
            id: try row.uuid("id"),
            name: try row.decode(column: "name", as: String.self),
            url: try row.decode(column: "url", as: String.self),
            isOnline: try row.decode(column: "is_online", as: Bool.self),
            lastCheck: try row.optionalTimestamp("last_check"),
            latencyMs: try row.optional("latency_ms", as: Double.self),
            queueRunning: try row.decode(column: "queue_running", as: Int.self),
            queuePending: try row.decode(column: "queue_pending", as: Int.self),
            devices: try row.optional("devices", as: String.self),
            system: try row.optional("system", as: String.self),
            capabilities: decodeCapabilities(try row.optional("capabilities", as: String.self)),
            modelCount: try row.decode(column: "model_count", as: Int.self),
            consecutiveFailures: try row.decode(column: "consecutive_failures", as: Int.self),
            lastError: try row.optional("last_error", as: String.self),
            retryAt: try row.optionalTimestamp("retry_at"),
            lastModel: try row.optional("last_model", as: String.self),
            updatedAt: try row.timestamp("updated_at")
        )
    }

    static func encode(_ capabilities: ServerCapabilities) -> String {
        let value: JSONValue = [
            "node_types": .array(capabilities.nodeTypes.sorted().map(JSONValue.string)),
            "checkpoints": .array(capabilities.checkpoints.map(JSONValue.string)),
            "loras": .array(capabilities.loras.map(JSONValue.string)),
        ]
        return value.text
    }

    static func decodeCapabilities(_ text: String?) -> ServerCapabilities {
        guard let value = text.flatMap(JSONValue.init(text:)) else { return ServerCapabilities() }
        func strings(_ key: String) -> [String] { value[key]?.arrayValue?.compactMap(\.stringValue) ?? [] }
        return ServerCapabilities(nodeTypes: Set(strings("node_types")), checkpoints: strings("checkpoints"), loras: strings("loras"))
    }
}

extension SQLExecutor {
    public var serverStatuses: ServerStatusRepository { ServerStatusRepository(self) }
}
