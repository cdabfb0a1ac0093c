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
