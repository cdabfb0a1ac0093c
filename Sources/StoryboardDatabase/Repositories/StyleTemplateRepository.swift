import Foundation
import SQLKit
import StoryboardCore

extension StyleTemplate: Record {
    public static let table = "style_templates"
    public static let resource = ResourceKind.styleTemplate
    public static let columns = [
        "project_id", "name", "description", "prompt_template", "negative_prompt_template", "default_params", "use_count", "is_global",
    ]
    public static let sortableColumns: [String: SortKind] = ["use_count": .number, "name": .text]

    public var values: [DatabaseValue] {
        [
            DatabaseValue(projectID), .text(name), DatabaseValue(description), .text(promptTemplate), DatabaseValue(negativePromptTemplate),
            DatabaseValue(defaultParams), .integer(useCount), .bool(isGlobal),
        ]
    }

    public init(meta: RecordMetadata, row: any SQLRow) throws {
        self.init(
            meta: meta,
            projectID: try row.optionalUUID("project_id"),
            name: try row.decode(column: "name", as: String.self),
            description: try row.optional("description", as: String.self),
            promptTemplate: try row.decode(column: "prompt_template", as: String.self),
            negativePromptTemplate: try row.optional("negative_prompt_template", as: String.self),
            defaultParams: try row.optional("default_params", as: String.self),
            useCount: try row.decode(column: "use_count", as: Int.self),
            isGlobal: try row.decode(column: "is_global", as: Bool.self)
        )
    }
}

public typealias StyleTemplateRepository = BaseRepository<StyleTemplate>

extension BaseRepository where R == StyleTemplate {
    /// `use_count + 1` in the statement itself, so concurrent applies never lose a count. A
    /// usage counter, not an edit: `version` stays, so nobody's `If-Match` goes stale.
    public func incrementUseCount(id: UUID) async throws {
        try await executor.write { sql in
            try await sql.update(R.table)
                .set(SQLIdentifier("use_count"), to: SQLBinaryExpression(SQLIdentifier("use_count"), .add, SQLLiteral.numeric("1")))
                .where("id", .equal, SQLBind(id.uuidString.lowercased()))
                .where(SQLIdentifier("deleted_at"), .is, SQLLiteral.null)
                .run()
        }
    }
}

extension SQLExecutor {
    public var styleTemplates: StyleTemplateRepository { StyleTemplateRepository(self) }
}
