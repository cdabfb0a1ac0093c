import Foundation
import SQLKit
import StoryboardCore

extension CustomWorkflow: Record {
    public static let table = "workflows"
    public static let resource = ResourceKind.workflow
    public static let columns = ["name", "description", "generation_type", "graph", "mapping"]
    public static let sortableColumns: [String: SortKind] = ["name": .text]

    public var values: [DatabaseValue] {
        [.text(name), DatabaseValue(description), .text(generationType.rawValue), .text(graph), .text(mapping)]
    }

    public init(meta: RecordMetadata, row: any SQLRow) throws {
        let type = try row.decode(column: "generation_type", as: String.self)
        guard let generationType = GenerationType(rawValue: type) else {
            throw StoredDataError(column: "generation_type", problem: "is \(type)")
        }
        self.init(
            meta: meta,
            name: try row.decode(column: "name", as: String.self),
            description: try row.optional("description", as: String.self),
            generationType: generationType,
            graph: try row.decode(column: "graph", as: String.self),
            mapping: try row.decode(column: "mapping", as: String.self)
        )
    }
}

public typealias WorkflowRepository = BaseRepository<CustomWorkflow>

extension SQLExecutor {
    public var workflows: WorkflowRepository { WorkflowRepository(self) }
}
