import Foundation
import SQLKit
import StoryboardCore

extension ProjectCharacter: Record {
    public static let table = "characters"
    public static let resource = ResourceKind.character
    public static let columns = ["project_id", "name", "description", "lora", "trigger_words", "style_notes"]
    public static let sortableColumns: [String: SortKind] = ["name": .text]

    public var values: [DatabaseValue] {
        [
            DatabaseValue(projectID), .text(name), DatabaseValue(description), DatabaseValue(lora), .text(JSONText.encode(triggerWords)),
            DatabaseValue(styleNotes),
        ]
    }

    public init(meta: RecordMetadata, row: any SQLRow) throws {
        let words = try row.decode(column: "trigger_words", as: String.self)
        guard let triggerWords = JSONText.decodeStrings(words) else {
            throw StoredDataError(column: "trigger_words", problem: "is not a JSON list of strings")
        }
        self.init(
            meta: meta,
            projectID: try row.uuid("project_id"),
            name: try row.decode(column: "name", as: String.self),
            description: try row.optional("description", as: String.self),
            lora: try row.optional("lora", as: String.self),
            triggerWords: triggerWords,
            styleNotes: try row.optional("style_notes", as: String.self)
        )
    }
}

public typealias CharacterRepository = BaseRepository<ProjectCharacter>

extension CharacterImage: Record {
    public static let table = "character_images"
    public static let resource = ResourceKind.characterImage
    public static let columns = ["project_id", "character_id", "media_file_id", "content_type", "kind", "job_id", "output_index", "seed"]
    public static let sortableColumns: [String: SortKind] = [:]

    public var values: [DatabaseValue] {
        [
            DatabaseValue(projectID), DatabaseValue(characterID), .text(mediaFileID), .text(contentType), .text(kind.rawValue),
            DatabaseValue(jobID),
            DatabaseValue(outputIndex), seed.map { DatabaseValue.integer(Int($0)) } ?? .null,
        ]
    }

    public init(meta: RecordMetadata, row: any SQLRow) throws {
        let kind = try row.decode(column: "kind", as: String.self)
        guard let imageKind = CharacterImageKind(rawValue: kind) else { throw StoredDataError(column: "kind", problem: "is \(kind)") }
        self.init(
            meta: meta,
            projectID: try row.uuid("project_id"),
            characterID: try row.uuid("character_id"),
            mediaFileID: try row.decode(column: "media_file_id", as: String.self),
            contentType: try row.decode(column: "content_type", as: String.self),
            kind: imageKind,
            jobID: try row.optionalUUID("job_id"),
            outputIndex: try row.optional("output_index", as: Int.self),
            seed: try row.optional("seed", as: Int64.self)
        )
    }
}

public typealias CharacterImageRepository = BaseRepository<CharacterImage>

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
    public var characters: CharacterRepository { CharacterRepository(self) }
    public var characterImages: CharacterImageRepository { CharacterImageRepository(self) }
    public var styleTemplates: StyleTemplateRepository { StyleTemplateRepository(self) }
}

/// JSON text columns (lists and objects read whole, never queried into).
public enum JSONText {
    public static func encode(_ strings: [String]) -> String {
        let data = (try? JSONEncoder().encode(strings)) ?? Data("[]".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    public static func decodeStrings(_ text: String) -> [String]? {
        try? JSONDecoder().decode([String].self, from: Data(text.utf8))
    }
}
