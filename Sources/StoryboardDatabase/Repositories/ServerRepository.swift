import Foundation
import SQLKit
import StoryboardCore

extension GenerationServer: Record {
    public static let table = "comfyui_servers"
    public static let resource = ResourceKind.server
    public static let columns = ["name", "url", "server_type", "api_key", "endpoint_id", "is_active", "max_concurrent", "pull_mode"]
    public static let sortableColumns: [String: SortKind] = ["name": .text]

    public var values: [DatabaseValue] {
        [
            .text(name), .text(url), .text(serverType.rawValue), DatabaseValue(apiKey?.value), DatabaseValue(endpointID), .bool(isActive),
            .integer(maxConcurrent), .bool(pullMode),
        ]
    }

    public init(meta: RecordMetadata, row: any SQLRow) throws {
        let type = try row.decode(column: "server_type", as: String.self)
        guard let serverType = ServerType(rawValue: type) else { throw StoredDataError(column: "server_type", problem: "is \(type)") }
        self.init(
            meta: meta,
            name: try row.decode(column: "name", as: String.self),
            url: try row.decode(column: "url", as: String.self),
            serverType: serverType,
            apiKey: try row.optional("api_key", as: String.self).map(Secret.init),
            endpointID: try row.optional("endpoint_id", as: String.self),
            isActive: try row.decode(column: "is_active", as: Bool.self),
            maxConcurrent: try row.decode(column: "max_concurrent", as: Int.self),
            pullMode: try row.decode(column: "pull_mode", as: Bool.self)
        )
    }
}

public typealias ServerRepository = BaseRepository<GenerationServer>

extension SQLExecutor {
    public var servers: ServerRepository { ServerRepository(self) }
}

/// A server the dispatcher may call, with its status row and the jobs running on it.
public struct DispatchableServer: Sendable {
    public var server: GenerationServer
    public var status: ServerStatus
    /// Running jobs recorded on it, by every process.
    public var running: Int
}

extension BaseRepository where R == GenerationServer {
    /// Active servers that are called (not pull-mode ones, which call in), each with its
    /// status and running jobs: one statement for the dispatcher's round, which runs after
    /// every finished job. A server not checked yet (no status row) is left out.
    public func dispatchable() async throws -> [DispatchableServer] {
        let servers = GenerationServer.allColumns.map { "s.\"\($0)\"" }.joined(separator: ", ")
        let statuses = ServerStatusRepository.columns.map { "b.\"\($0)\" AS \"\(Self.statusPrefix)\($0)\"" }.joined(separator: ", ")
        return try await executor.read { sql in
            try await sql.raw(
                """
                SELECT \(unsafeRaw: servers), \(unsafeRaw: statuses), COALESCE(r.n, 0) AS running_jobs
                FROM comfyui_servers s JOIN backends b ON b.id = s.id
                -- One pass over the running jobs (a partial index), not one per server.
                LEFT JOIN (
                    SELECT server_id, COUNT(*) AS n FROM generation_jobs WHERE status = 'running' AND server_id IS NOT NULL GROUP BY server_id
                ) r ON r.server_id = s.id
                WHERE s.deleted_at IS NULL AND s.is_active = \(bind: true) AND s.pull_mode = \(bind: false)
                ORDER BY s.created_at, s.id
                """
            ).all().map { row in
                DispatchableServer(
                    server: try GenerationServer(row: row),
                    status: try ServerStatusRepository.decode(PrefixedRow(row: row, prefix: Self.statusPrefix)),
                    running: try row.decode(column: "running_jobs", as: Int.self)
                )
            }
        }
    }

    static var statusPrefix: String { "status_" }
}

/// The columns of a row whose names start with `prefix`, under their names without it: a
/// joined table's columns, aliased apart from the main table's.
struct PrefixedRow: SQLRow {
    let row: any SQLRow
    let prefix: String

    var allColumns: [String] { row.allColumns.filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) } }
    func contains(column: String) -> Bool { row.contains(column: prefix + column) }
    func decodeNil(column: String) throws -> Bool { try row.decodeNil(column: prefix + column) }
    func decode<D: Decodable>(column: String, as type: D.Type) throws -> D { try row.decode(column: prefix + column, as: D.self) }
}
